"""The names other modules have long imported for known senders' formats; the readers
themselves live in formats/senders/, one module per sender."""

from tocsin.formats.senders import recognise
from tocsin.formats.senders.base import GroupedAlert, Recognised, Source

__all__ = ["GroupedAlert", "Recognised", "Source", "recognise"]
