"""A Jinja2 environment that a template written by a customer cannot use to hurt the server.

Jinja2's immutable sandbox already stops attribute tricks (`__class__`, `mro`), unsafe calls and
changes to lists and dicts. On top of it, every way a template can grow a value is bounded:
`+`, `*`, `%` and `~` refuse to build a string or list longer than `MAX_VALUE_CHARACTERS`, the
filters and string methods that pad or repeat are gone or checked, and `range` is small. Time
is bounded too: a render that runs past its budget is stopped where it stands, and the output
is cut off at a size no call could say. Templates are compiled once per distinct text.
"""

from __future__ import annotations

import operator
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from types import FrameType
from typing import Any

from jinja2 import ChainableUndefined, Template, nodes, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import do_join, do_replace
from jinja2.runtime import str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARACTERS = 8_000
MAX_RANGE = 1_000
MAX_VALUE_CHARACTERS = 20_000
MAX_OUTPUT_CHARACTERS = 20_000
RENDER_SECONDS = 0.2

# Padding and repeating, which turn a short value into an enormous one.
_REMOVED_FILTERS = ("center", "indent", "format", "wordwrap", "filesizeformat", "xmlattr")
_UNSAFE_STRING_METHODS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "join", "replace"}
)


class TemplateTooCostly(Exception):
    """The template asked for more time, memory or output than a call's text may take."""


def _checked(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_VALUE_CHARACTERS:
        raise TemplateTooCostly(
            f"a value in the template grew past {MAX_VALUE_CHARACTERS} characters"
        )
    return value


def _small_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateTooCostly(f"range() is limited to {MAX_RANGE} items in templates")
    return numbers


def _estimated_size(left: Any, right: Any, op: str) -> int:
    def size(value: Any) -> int:
        return len(value) if isinstance(value, str | list | tuple) else 0

    if op == "*":
        count = next((abs(v) for v in (left, right) if isinstance(v, int)), 1)
        return max(size(left), size(right)) * count
    if op == "%" and isinstance(left, str):
        # Widths in a format string can ask for any amount of padding, also from the arguments.
        if "*" in left:
            return MAX_VALUE_CHARACTERS + 1
        digits = "".join(c if c.isdigit() else " " for c in left).split()
        widths = sum(int(d) if len(d) < 9 else MAX_VALUE_CHARACTERS for d in digits)
        return size(left) + widths + size(str(right))
    return size(left) + size(right)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "*": operator.mul,
    "%": operator.mod,
}


class _CheckedConcat(CodeGenerator):
    """Compiles `a ~ b` to a join that refuses to build an oversized string."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class SpeechEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _CheckedConcat
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise TemplateTooCostly("exponents above 64 are not allowed in templates")
            return left**right
        if _estimated_size(left, right, op) > MAX_VALUE_CHARACTERS:
            raise TemplateTooCostly(
                f"a value in the template grew past {MAX_VALUE_CHARACTERS} characters"
            )
        return _OPERATORS[op](left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _UNSAFE_STRING_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def checked_join(self, parts: Iterable[Any]) -> str:
        return str(_checked(str_join(parts)))


@pass_eval_context
def _replace(eval_ctx: Any, value: str, old: str, new: str, count: int | None = None) -> str:
    occurrences = len(value) + 1 if old == "" else value.count(old)
    if len(value) + occurrences * max(len(new) - len(old), 0) > MAX_VALUE_CHARACTERS:
        raise TemplateTooCostly("replace() would make a value too long")
    return str(do_replace(eval_ctx, value, old, new, count))


@pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    return str(_checked(do_join(eval_ctx, value, d, attribute)))


def _environment() -> SpeechEnvironment:
    environment = SpeechEnvironment(
        autoescape=False,
        undefined=ChainableUndefined,
        finalize=lambda value: "" if value is None else value,
    )
    for name in _REMOVED_FILTERS:
        environment.filters.pop(name, None)
    environment.filters.update(replace=_replace, join=_join)
    environment.globals["range"] = _small_range
    environment.globals.pop("lipsum", None)
    return environment


_ENVIRONMENT = _environment()


@lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """Raises jinja2.TemplateSyntaxError for a template that does not parse."""
    if len(source) > MAX_TEMPLATE_CHARACTERS:
        raise TemplateTooCostly(f"templates are limited to {MAX_TEMPLATE_CHARACTERS} characters")
    return _ENVIRONMENT.from_string(source)


class _Deadline:
    """A trace function that stops the render once its time is up. Tracing is per thread, so
    only the rendering thread pays for it, and only while it renders."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        if time.monotonic() > self.deadline:
            raise TemplateTooCostly(f"the template took longer than {RENDER_SECONDS:g} s")
        return self


def render(template: Template, context: dict[str, Any], *, trusted: bool = False) -> str:
    """Render under the time limit; `trusted` templates (Tocsin's own defaults) skip the trace
    function, which slows rendering several times over."""
    if trusted:
        return _collect(template.generate(context))
    previous = sys.gettrace()
    sys.settrace(_Deadline(RENDER_SECONDS))
    try:
        return _collect(template.generate(context))
    finally:
        sys.settrace(previous)


def _collect(chunks: Iterator[str]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARACTERS:
            raise TemplateTooCostly("the template's text is far longer than a call can say")
        parts.append(chunk)
    return "".join(parts)
