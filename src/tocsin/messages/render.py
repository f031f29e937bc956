"""Rendering a call's text from an alert, and checking a template before it is saved.

An endpoint's own template is a customer's code: it renders in the cage (messages/caged.py),
never in this process. Tocsin's defaults are its own and render here, so the words a call
falls back on need nothing that can be stopped, busy or broken.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass

from jinja2 import TemplateError, TemplateSyntaxError

from tocsin.core.errors import InvalidInput, Unavailable
from tocsin.formats.known import Source
from tocsin.messages import caged
from tocsin.messages.caged import RenderersBusy, TemplateFailed
from tocsin.messages.context import MessageContext
from tocsin.messages.defaults import default_template
from tocsin.messages.sandbox import (
    MAX_OUTPUT_CHARACTERS,
    TemplateTooCostly,
    compile_template,
    render,
)

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# "Disk full.." or "Done! ." from a title that ends in its own punctuation.
_DOUBLED_STOP = re.compile(r"([.!?])(\s*\.)+")
# What a saved template's sample may say (the check shows it whole).
_CHECKED_CHARACTERS = 10_000


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


def describe(error: Exception) -> str:
    """What went wrong with a template, in a line its owners can act on."""
    if isinstance(error, TemplateSyntaxError):
        return f"line {error.lineno}: {error.message or error}"
    if isinstance(
        error, TemplateError | TemplateTooCostly | TemplateFailed | ValueError | TypeError
    ):
        return str(error) or type(error).__name__
    # KeyError('host') says only "'host'": name the kind of error too.
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def render_text(source: str, context: MessageContext, *, trusted: bool = False) -> str:
    """The template's words for `context`, rendered in this process: Tocsin's own templates
    here, customers' inside the cage's workers (messages/render_worker.py)."""
    text = render(compile_template(source), context.variables(), trusted=trusted)
    return speakable(text, MAX_OUTPUT_CHARACTERS)


def render_message(
    template: str | None, context: MessageContext, *, max_characters: int
) -> Rendered:
    """The text to read. A template that fails in any way (any exception, its time or memory
    limits, its cage busy) or says nothing gives way to the default for the alert's sender,
    and that, should it ever fail on an odd payload, to a plain sentence: a broken template
    must not silence a page."""
    problem = None
    if template:
        try:
            text = _truncate_words(caged.TEMPLATES.render(template, context), max_characters)
        except Exception as error:  # whatever it is, the call must go out
            problem = describe(error)
            log.warning("a template failed for %s: %s", context.endpoint, problem)
        else:
            if text:
                return Rendered(text)
            problem = "the template rendered no text"
    try:
        default = _truncate_words(
            render_text(default_template(context.source), context, trusted=True), max_characters
        )
    except Exception as error:
        default = ""
        problem = problem or f"the default words failed: {describe(error)}"
    return Rendered(default or speakable(plain_words(context), max_characters), problem)


def prepare_words(template: str, context: MessageContext) -> None:
    """Render `template` now, outside any transaction, so that `render_message` finds its
    words remembered (or the template resting, if it was stopped) when it runs inside one."""
    with contextlib.suppress(TemplateFailed):
        caged.TEMPLATES.render(template, context)


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
    """The text `template` says for a sample alert; TemplateProblem if it does not work,
    Unavailable if every renderer was busy. Takes up to the cage's time limit: call it before
    a write transaction, not inside one (the command's own check then finds it remembered)."""
    try:
        text = caged.TEMPLATES.render(template, sample)
    except RenderersBusy as busy:
        raise Unavailable(f"{busy}; try again", code="template_renderers_busy") from busy
    except Exception as error:  # a template is input: any failure of it is the sender's 422
        raise TemplateProblem(f"template does not work: {describe(error)}") from error
    return _truncate_words(text, _CHECKED_CHARACTERS)
