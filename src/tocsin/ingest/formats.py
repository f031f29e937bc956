"""The names other modules have long imported for known senders' formats; the readers
themselves live in ingest/senders/, one module per sender."""

from tocsin.ingest.senders import recognise
from tocsin.ingest.senders.base import GroupedAlert, Recognised, Source

__all__ = ["GroupedAlert", "Recognised", "Source", "recognise"]
