"""Customers' templates rendered in a cage (core/cage.py): worker processes with their own CPU
and memory limits, killed when late, so that no template can stall or bloat the server.

One cage serves the whole process (the API's handlers, the dial-time worker, the shell), with
the limits of the last runtime built (`configure`). What a template said for an alert is kept
for a while (`_MEMO_SIZE` renders), so the same words asked for again, inside a transaction
after a first ask outside it, cost no second render. A template stopped for its time or
memory is not tried again for `RESTING_SECONDS`: the alerts meanwhile get the default words at
once, instead of each holding a worker for the whole time limit.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from tocsin.core.cage import Cage, CageBusy, CageLimits, CageStopped, CageUnavailable
from tocsin.messages.context import MessageContext
from tocsin.messages.sandbox import MAX_OUTPUT_CHARACTERS

WORKER_MODULE = "tocsin.messages.render_worker"
# The longest text as UTF-8 (4 bytes a character at most, as much as an escaped quote), and
# the JSON around it.
MAX_REPLY_BYTES = 4 * MAX_OUTPUT_CHARACTERS + 1024
RESTING_SECONDS = 300.0
_MEMO_SIZE = 256


class TemplateFailed(Exception):
    """The template did not render; the message says why, in words for its owners."""


class TemplateStopped(TemplateFailed):
    """The template was stopped for its time or memory (or recently was)."""


class RenderersBusy(TemplateFailed):
    """Every worker was busy for the whole time limit."""


@dataclass(frozen=True)
class _Resting:
    until: float
    why: str


class TemplateCage:
    def __init__(
        self, limits: CageLimits | None = None, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._cage = Cage(WORKER_MODULE, limits or CageLimits(), max_reply=MAX_REPLY_BYTES)
        self._now = now
        self._lock = threading.Lock()
        self._memo: OrderedDict[bytes, str] = OrderedDict()
        self._resting: dict[bytes, _Resting] = {}

    @property
    def limits(self) -> CageLimits:
        return self._cage.limits

    def configure(self, limits: CageLimits) -> None:
        """Render under `limits` from now on; workers started under others are ended."""
        if limits != self._cage.limits:
            self._cage.close(limits)

    def start(self) -> None:
        """Start the workers now, so that the first calls find them ready."""
        self._cage.start()

    def close(self) -> None:
        self._cage.close()

    def pids(self) -> list[int]:
        return self._cage.pids()

    def render(self, template: str, context: MessageContext) -> str:
        """The template's text for `context`, spoken-clean and at most MAX_OUTPUT_CHARACTERS
        long; TemplateFailed (or a subclass) with the reason if it has none."""
        request = _request(template, context)
        key = hashlib.sha256(request).digest()
        name = hashlib.sha256(template.encode()).digest()
        with self._lock:
            if (text := self._memo.get(key)) is not None:
                self._memo.move_to_end(key)
                return text
            resting = self._resting.get(name)
        if resting is not None and resting.until > self._now():
            minutes = round(RESTING_SECONDS / 60)
            raise TemplateStopped(
                f"{resting.why}; it is not tried again until {minutes} minutes have passed"
            )
        answer = self._ask(request, name)
        if "text" in answer:
            return self._remember(key, str(answer["text"]))
        if answer.get("out_of_memory"):
            raise self._rest(name, f"needed more than {self.limits.memory_mib} MiB of memory")
        raise TemplateFailed(str(answer.get("problem") or "the template failed"))

    def _ask(self, request: bytes, name: bytes) -> dict[str, Any]:
        try:
            reply = self._cage.ask(request)
        except CageStopped as stopped:
            raise self._rest(name, str(stopped)) from stopped
        except CageBusy as busy:
            raise RenderersBusy(f"the template was not rendered: {busy}") from busy
        except CageUnavailable as error:
            raise TemplateFailed(f"the template was not rendered: {error}") from error
        answer = json.loads(reply)
        if not isinstance(answer, dict):
            raise TemplateFailed("the template renderer's reply made no sense")
        return answer

    def _rest(self, name: bytes, why: str) -> TemplateStopped:
        stopped = f"the template was stopped: {why}"
        now = self._now()
        with self._lock:
            self._resting = {k: r for k, r in self._resting.items() if r.until > now}
            self._resting[name] = _Resting(now + RESTING_SECONDS, stopped)
        return TemplateStopped(stopped)

    def _remember(self, key: bytes, text: str) -> str:
        with self._lock:
            self._memo[key] = text
            while len(self._memo) > _MEMO_SIZE:
                self._memo.popitem(last=False)
        return text


def _request(template: str, context: MessageContext) -> bytes:
    # Fields, not dataclasses.asdict, which would deep-copy the payload first.
    values = {field.name: getattr(context, field.name) for field in fields(context)}
    return json.dumps(
        {"template": template, "context": values}, separators=(",", ":"), default=str
    ).encode()


TEMPLATES = TemplateCage()
