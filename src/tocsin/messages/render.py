"""Rendering a call's text from an alert, and checking a template before it is saved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError

from tocsin.core.errors import InvalidInput
from tocsin.formats.known import Source
from tocsin.formats.senders import template_variables
from tocsin.formats.senders.alertmanager import grouped_alerts
from tocsin.formats.trim import firing_count
from tocsin.messages.defaults import default_template
from tocsin.messages.sandbox import TemplateTooCostly, compile_template, render

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# "Disk full.." or "Done! ." from a title that ends in its own punctuation.
_DOUBLED_STOP = re.compile(r"([.!?])(\s*\.)+")


@dataclass(frozen=True)
class MessageContext:
    """What a template may talk about: the alert as stored, and where it came in."""

    endpoint: str
    title: str
    message: str
    severity: str
    source: str
    status: str = "open"
    payload: Any = None
    repeat_count: int = 0

    def variables(self) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "endpoint": self.endpoint,
            "title": self.title,
            "message": self.message,
            "severity": self.severity,
            "source": self.source,
            "status": self.status,
            "payload": self.payload,
            "repeat_count": self.repeat_count,
            "alerts": [],
            "firing": [],
            "firing_count": 0,
            "resolved": [],
            "labels": {},
            "annotations": {},
        }
        payload = self.payload if isinstance(self.payload, Mapping) else {}
        if self.source in (Source.ALERTMANAGER, Source.GRAFANA):
            grouped = [asdict(a) for a in grouped_alerts(payload)]
            firing = [a for a in grouped if a["status"] == "firing"]
            variables.update(
                alerts=grouped,
                firing=firing,
                # All of them, also those a big group's stored payload no longer lists.
                firing_count=firing_count(payload, len(firing)),
                resolved=[a for a in grouped if a["status"] == "resolved"],
                labels=payload.get("commonLabels") or {},
                annotations=payload.get("commonAnnotations") or {},
            )
        else:
            # Each sender's own objects (formats/senders/): `alarm`, `incident`, `check`, ...
            variables.update(template_variables(self.source, self.payload))
        return variables


@dataclass(frozen=True)
class Rendered:
    text: str
    # Why the endpoint's own template was not used (it failed); None when it was, or when the
    # endpoint has none.
    problem: str | None = None


class TemplateProblem(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_template")


def _truncate_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "."


def speakable(text: str, max_characters: int) -> str:
    """One line of plain words: no control characters, no runs of spaces, cut at a word."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return _truncate_words(_DOUBLED_STOP.sub(r"\1", text), max_characters)


def _describe(error: Exception) -> str:
    if isinstance(error, TemplateSyntaxError):
        return f"line {error.lineno}: {error.message or error}"
    if isinstance(error, TemplateError | TemplateTooCostly | ValueError | TypeError):
        return str(error) or type(error).__name__
    # KeyError('host') says only "'host'": name the kind of error too.
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _render(source: str, context: MessageContext, *, trusted: bool = False) -> str:
    return render(compile_template(source), context.variables(), trusted=trusted)


def render_message(
    template: str | None, context: MessageContext, *, max_characters: int
) -> Rendered:
    """The text to read. A template that fails in any way (any exception, its time or size
    limit) or says nothing gives way to the default for the alert's sender, and that, should it
    ever fail on an odd payload, to a plain sentence: a broken template must not silence a
    page."""
    problem = None
    if template:
        try:
            text = speakable(_render(template, context), max_characters)
        except Exception as error:  # whatever it is, the call must go out
            problem = _describe(error)
        else:
            if text:
                return Rendered(text)
            problem = "the template rendered no text"
    try:
        default = speakable(
            _render(default_template(context.source), context, trusted=True), max_characters
        )
    except Exception as error:
        default = ""
        problem = problem or f"the default words failed: {_describe(error)}"
    return Rendered(default or speakable(plain_words(context), max_characters), problem)


def plain_words(context: MessageContext) -> str:
    """What a call says when no template can say anything: no Jinja, nothing to go wrong."""
    return f"Alert from {context.endpoint}. Severity {context.severity}. {context.title}."


SAMPLE = MessageContext(
    endpoint="Production",
    title="Disk full on db1",
    message="/var is 97% full",
    severity="critical",
    source=Source.GENERIC,
    payload={"title": "Disk full on db1", "message": "/var is 97% full"},
)


def check_template(template: str, sample: MessageContext = SAMPLE) -> str:
    """The text `template` says for a sample alert; TemplateProblem if it does not work."""
    try:
        text = speakable(_render(template, sample), 10_000)
    except Exception as error:  # a template is input: any failure of it is the sender's 422
        raise TemplateProblem(f"template does not work: {_describe(error)}") from error
    return text
