"""A Jinja2 environment that a template written by a customer cannot use to hurt the server.

Jinja2's immutable sandbox already stops attribute tricks (`__class__`, `mro`), unsafe calls and
changes to lists and dicts. On top of it, every way a template can grow a value is bounded:
`+`, `*`, `**`, `%` and `~` refuse to build a value longer than `MAX_VALUE_CHARACTERS` (what
`*` repeats is measured deep, so twenty thousand copies of a long list count as long as all of
them, and numbers count their digits), the filters and string methods that pad or repeat are
gone or checked, and `range` is small. Whatever turns a list into text (`{{ value }}`, `join`,
`string`, `upper`, `tojson` and the like, `sum` of lists) measures it first, and the output is
cut off at a size no call could say. A render past its time is stopped at its next Python
step. Templates are compiled once per distinct text.

These checks are cheap refusals of the obvious, not the guarantee: one C call (a comparison of
two deep structures, say) runs between two Python steps for as long as it likes. Customers'
templates therefore render in another process, under CPU and memory limits (messages/caged.py).
"""

from __future__ import annotations

import operator
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, wraps
from types import FrameType
from typing import Any

from jinja2 import ChainableUndefined, Template, nodes, pass_environment, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import do_join, do_replace, sync_do_sum
from jinja2.runtime import str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARACTERS = 8_000
MAX_RANGE = 1_000
MAX_VALUE_CHARACTERS = 20_000
MAX_OUTPUT_CHARACTERS = 20_000
RENDER_SECONDS = 0.2

# Padding and repeating, which turn a short value into an enormous one; `translate` with a
# table that maps a character to a long string; `encode`, whose bytes would escape the checks.
_REMOVED_FILTERS = ("center", "indent", "format", "wordwrap", "filesizeformat", "xmlattr")
_UNSAFE_STRING_METHODS = frozenset(
    {
        "center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "join",
        "replace", "translate", "maketrans", "encode",
    }
)  # fmt: skip
# Filters that turn their value into text (str() of a deep list is one long C call).
_WRITING_FILTERS = (
    "capitalize",
    "e",
    "escape",
    "forceescape",
    "lower",
    "pprint",
    "replace",
    "safe",
    "string",
    "striptags",
    "title",
    "tojson",
    "trim",
    "truncate",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
)


class TemplateTooCostly(Exception):
    """The template asked for more time, memory or output than a call's text may take."""


_CONTAINERS = (list, tuple, dict, set, frozenset)


def written_size(value: Any, budget: int = MAX_VALUE_CHARACTERS) -> int:
    """About how many characters `value` takes written out, counted only until it is past
    `budget`: a container counts its items and everything they hold, so `[l] * 20000` is
    twenty thousand times `l`, not twenty thousand items."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() * 3 // 10 + 1  # its decimal digits, near enough
    if not isinstance(value, _CONTAINERS):
        return 1
    items = (part for pair in value.items() for part in pair) if isinstance(value, dict) else value
    total = len(value)
    for item in items:
        if total > budget:
            break
        total += written_size(item, budget - total)
    return total


def _too_long(limit: int = MAX_VALUE_CHARACTERS) -> TemplateTooCostly:
    return TemplateTooCostly(f"a value in the template grew past {limit} characters")


def _checked(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_VALUE_CHARACTERS:
        raise _too_long()
    return value


def _sayable(value: Any) -> Any:
    """Refuses a value too long to say before it is turned into text, which for a deep list is
    the costly step."""
    if isinstance(value, _CONTAINERS) and written_size(value, MAX_OUTPUT_CHARACTERS) > (
        MAX_OUTPUT_CHARACTERS
    ):
        raise TemplateTooCostly("the template's text is far longer than a call can say")
    return value


def _small_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateTooCostly(f"range() is limited to {MAX_RANGE} items in templates")
    return numbers


def _estimated_size(left: Any, right: Any, op: str) -> int:
    if op == "*":
        sequences = [v for v in (left, right) if isinstance(v, str | list | tuple)]
        counts = [abs(v) for v in (left, right) if isinstance(v, int)]
        if sequences and counts:
            return written_size(sequences[0]) * counts[0]
        # Two numbers: the product has as many digits as both.
        return written_size(left) + written_size(right)
    if op == "**":
        if isinstance(left, int) and isinstance(right, int):
            return written_size(left) * abs(right)
        return 0
    if op == "%" and isinstance(left, str):
        # Widths in a format string can ask for any amount of padding, also from the arguments.
        if "*" in left:
            return MAX_VALUE_CHARACTERS + 1
        digits = "".join(c if c.isdigit() else " " for c in left).split()
        widths = sum(int(d) if len(d) < 9 else MAX_VALUE_CHARACTERS for d in digits)
        return len(left) + widths + written_size(right)
    # `+` copies references: a deep list costs nothing until it is written out, and is
    # measured then, while payload lists of any depth may still be added up.
    return _length(left) + _length(right)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "*": operator.mul,
    "**": operator.pow,
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
        if op == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise TemplateTooCostly("exponents above 64 are not allowed in templates")
        if _estimated_size(left, right, op) > MAX_VALUE_CHARACTERS:
            raise _too_long()
        return _OPERATORS[op](left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _UNSAFE_STRING_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def checked_join(self, parts: tuple[Any, ...]) -> str:
        if written_size(parts) > MAX_VALUE_CHARACTERS:
            raise _too_long()
        return str(_checked(str_join(parts)))


@pass_eval_context
def _replace(eval_ctx: Any, value: str, old: str, new: str, count: int | None = None) -> str:
    occurrences = len(value) + 1 if old == "" else value.count(old)
    if len(value) + occurrences * max(len(new) - len(old), 0) > MAX_VALUE_CHARACTERS:
        raise TemplateTooCostly("replace() would make a value too long")
    return str(do_replace(eval_ctx, value, old, new, count))


@pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    if isinstance(value, _CONTAINERS) and written_size(value) > MAX_VALUE_CHARACTERS:
        raise _too_long()
    return str(_checked(do_join(eval_ctx, value, d, attribute)))


def _measured(write_out: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that turns its value into text, refusing a value too long to say first."""
    after_context = getattr(write_out, "jinja_pass_arg", None) is not None

    @wraps(write_out)  # keeps jinja_pass_arg, so Jinja passes what the filter expects
    def measured(*args: Any, **kwargs: Any) -> Any:
        _sayable(args[1] if after_context else args[0])
        return write_out(*args, **kwargs)

    return measured


def _sum(environment: Any, iterable: Iterable[Any], attribute: Any = None, start: Any = 0) -> Any:
    """Numbers are added as ever; lists or strings only while the result is sayable."""
    if not isinstance(start, int | float):
        _sayable(iterable)
    return sync_do_sum(environment, iterable, attribute, start)


def _environment() -> SpeechEnvironment:
    environment = SpeechEnvironment(
        autoescape=False,
        undefined=ChainableUndefined,
        finalize=lambda value: "" if value is None else _sayable(value),
    )
    for name in _REMOVED_FILTERS:
        environment.filters.pop(name, None)
    environment.filters.update(replace=_replace, join=_join)
    for name in _WRITING_FILTERS:
        environment.filters[name] = _measured(environment.filters[name])
    environment.filters["sum"] = pass_environment(_sum)
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
