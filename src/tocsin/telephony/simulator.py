"""A provider that places no real call and sends no real text: it writes what they would have been.

Each call leaves a JSON record, a transcript and a WAV of the spoken prompt under
`<data dir>/simulator/`. What the callee does is set per number (or by default) with a behaviour:

    answer        picks up, presses nothing, hangs up
    voicemail     a machine picks up and records the prompt; no key
    press:DIGITS  picks up and presses the keys in order, e.g. press:1, press:*2, or press:99
                  (9 asks for confirmation, the second 9 stops calls); keys after the call
                  has hung up are not pressed
    busy          line busy
    no_answer     rings out
    fail          the network fails the call after accepting it
    reject        the provider refuses the request (a call or a text); nothing is placed

A call that offers no menu (a verification code) says its text and hangs up: the callee's keys
are ignored.

Records are keyed by idempotency key and created with an atomic hard link, so a second dial for
the same attempt returns the first call instead of placing another, across processes.
`dials.log` gets one line for every dial request, duplicates included, which is how tests prove
that no attempt was dialled twice.

Texts (SMS) are kept the same way: a JSON record per idempotency key under `texts/`, so a second
send with the same key returns the first message's id, and a line per send request, duplicates
included, in `texts.log`. Every behaviour but reject takes the text; `texts_to` reads back the
texts a number was sent. Texts "sent" to the simulator's numbers (a reply to an alert text, a
STOP) arrive signed in a format of its own (`telephony.simulator_texts`), checked with the key
the simulator was built with.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from tocsin.core.clock import Clock
from tocsin.core.ids import new_id
from tocsin.core.private_files import PRIVATE_FILE, open_private, private_dir, write_private
from tocsin.telephony import audio, tts
from tocsin.telephony.base import (
    CallEvent,
    CallEventKind,
    CallRecord,
    CallRequest,
    Capabilities,
    ProviderError,
    TextMessage,
)
from tocsin.telephony.script import Then, first_words, replies
from tocsin.telephony.simulator_texts import SimulatorInboundTexts

BEHAVIOURS = ("answer", "voicemail", "busy", "no_answer", "fail", "reject")


def check_behaviour(behaviour: str) -> str:
    if behaviour in BEHAVIOURS:
        return behaviour
    if (
        behaviour.startswith("press:")
        and behaviour[6:]
        and set(behaviour[6:]) <= set("0123456789*#")
    ):
        return behaviour
    raise ValueError(
        f"unknown simulator behaviour {behaviour!r}; use one of "
        f"{', '.join(BEHAVIOURS)} or press:DIGITS"
    )


def _planned_events(behaviour: str, *, offers_menu: bool) -> list[tuple[CallEventKind, str, str]]:
    """(kind, digits, detail) for each event the behaviour produces, in order."""
    if behaviour == "busy":
        return [(CallEventKind.TRYING, "", ""), (CallEventKind.BUSY, "", "")]
    if behaviour == "no_answer":
        return [
            (CallEventKind.TRYING, "", ""),
            (CallEventKind.RINGING, "", ""),
            (CallEventKind.NO_ANSWER, "", ""),
        ]
    if behaviour == "fail":
        return [(CallEventKind.TRYING, "", ""), (CallEventKind.FAILED, "", "network failure")]
    answered = [
        (CallEventKind.TRYING, "", ""),
        (CallEventKind.RINGING, "", ""),
        (CallEventKind.ANSWERED, "", "voicemail" if behaviour == "voicemail" else ""),
    ]
    # Without a menu nothing listens for keys; with one, a key the call hangs up after is the last.
    keys = behaviour[6:] if behaviour.startswith("press:") and offers_menu else ""
    presses: list[tuple[CallEventKind, str, str]] = []
    # What a key does is the same in every language.
    for key, reply in zip(keys, replies(keys), strict=True):
        presses.append((CallEventKind.DIGITS, key, ""))
        if reply.then is Then.HANG_UP:
            break
    return [*answered, *presses, (CallEventKind.COMPLETED, "", "")]


def _transcript(request: CallRequest, behaviour: str, events: list[CallEvent]) -> str:
    lines = [
        f"call to {request.to_number} from {request.caller_id} ({behaviour}), "
        f"in {request.language} with the voice {request.voice}"
    ]
    keys = "".join(event.digits for event in events if event.kind == CallEventKind.DIGITS)
    answers = replies(keys, request.language)
    opening = first_words(
        request.spoken_text, offers_menu=request.offers_menu, language=request.language
    )
    for event in events:
        if event.kind == CallEventKind.ANSWERED:
            lines.append(f"answered{' by voicemail' if event.detail == 'voicemail' else ''}")
            lines.append(f"TOCSIN: {opening}")
        elif event.kind == CallEventKind.DIGITS:
            lines.append(f"CALLEE pressed {event.digits}")
            lines.append(f"TOCSIN: {next(answers).text(request.spoken_text)}")
        else:
            lines.append(event.kind.value + (f" ({event.detail})" if event.detail else ""))
    return "\n".join(lines) + "\n"


def _event_to_json(event: CallEvent) -> dict[str, Any]:
    data = asdict(event)
    data["kind"] = event.kind.value
    data["at"] = event.at.isoformat() if event.at else None
    return data


def _event_from_json(data: dict[str, Any]) -> CallEvent:
    return CallEvent(
        kind=CallEventKind(data["kind"]),
        sequence=int(data["sequence"]),
        digits=data.get("digits", ""),
        detail=data.get("detail", ""),
        at=datetime.fromisoformat(data["at"]) if data.get("at") else None,
    )


class SimulatorCall:
    def __init__(self, record: CallRecord, clock: Clock, ring_seconds: float) -> None:
        self.provider_call_id = record.provider_call_id
        self._record = record
        self._clock = clock
        self._ring_seconds = ring_seconds
        self._hung_up = False

    async def events(self) -> AsyncIterator[CallEvent]:
        for event in self._record.events:
            if self._hung_up:
                return
            if event.kind in (CallEventKind.ANSWERED, CallEventKind.NO_ANSWER):
                await self._clock.sleep(self._ring_seconds)
            yield event

    async def hangup(self) -> None:
        self._hung_up = True


class SimulatorProvider:
    name = "simulator"
    capabilities = Capabilities(
        lookup_by_idempotency_key=True, records_audio=True, sends_text=True, simulated=True
    )

    def __init__(
        self,
        data_dir: Path,
        *,
        clock: Clock,
        default_behaviour: str = "press:1",
        behaviours: Mapping[str, str] | None = None,
        ring_seconds: float = 0.0,
        record_audio: bool = True,
        synthesize: Callable[[str, str], audio.Pcm] | None = None,
        text_key: bytes = b"",
    ) -> None:
        """`text_key` checks the texts "sent" to the simulator's numbers; without one it
        accepts none."""
        self.root = data_dir / "simulator"
        self._calls = self.root / "calls"
        self._by_key = self.root / "by-key"
        self._texts = self.root / "texts"
        # What callees were told and what they pressed: the server's user's alone.
        for folder in (self.root, self._calls, self._by_key, self._texts):
            private_dir(folder)
        self._clock = clock
        self._default = check_behaviour(default_behaviour)
        self._behaviours = {number: check_behaviour(b) for number, b in (behaviours or {}).items()}
        self._ring_seconds = ring_seconds
        self._record_audio = record_audio
        self._synthesize = synthesize or (lambda text, voice: tts.synthesize(text, voice=voice))
        self._text_key = text_key

    def behaviour_for(self, number: str) -> str:
        return self._behaviours.get(number, self._default)

    @staticmethod
    def _key_path(folder: Path, idempotency_key: str) -> Path:
        return folder / f"{hashlib.sha256(idempotency_key.encode()).hexdigest()}.json"

    def _log_request(self, log_name: str, idempotency_key: str, to_number: str) -> None:
        line = json.dumps(
            {
                "idempotency_key": idempotency_key,
                "to": to_number,
                "at": self._clock.now().isoformat(),
                "pid": os.getpid(),
            }
        )
        # One write() of a short line with O_APPEND is atomic, so processes never interleave.
        fd = os.open(self.root / log_name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    async def dial(self, request: CallRequest) -> SimulatorCall:
        self._log_request("dials.log", request.idempotency_key, request.to_number)
        behaviour = self.behaviour_for(request.to_number)
        if behaviour == "reject":
            raise ProviderError(
                "simulated rejection",
                retry_safe=True,
                code="rejected",
                user_message="The provider refused the call.",
            )
        # A second dial under the key finds the first call's record when it tries to publish
        # its own (`_claim`), and returns that call.
        now = self._clock.now()
        events = [
            CallEvent(kind=kind, sequence=index, digits=digits, detail=detail, at=now)
            for index, (kind, digits, detail) in enumerate(
                _planned_events(behaviour, offers_menu=request.offers_menu), start=1
            )
        ]
        record = CallRecord(provider_call_id=new_id("sim"), events=tuple(events))
        document = {
            "provider_call_id": record.provider_call_id,
            "idempotency_key": request.idempotency_key,
            "to": request.to_number,
            "caller_id": request.caller_id,
            "spoken_text": request.spoken_text,
            "voice": request.voice,
            "language": request.language,
            "offers_menu": request.offers_menu,
            "behaviour": behaviour,
            "created_at": now.isoformat(),
            "events": [_event_to_json(event) for event in events],
        }
        if not self._claim(self._key_path(self._by_key, request.idempotency_key), document):
            claimed = await self.lookup(request.idempotency_key)
            if claimed is None:
                # Claimed under this key, yet its record is gone: nobody can say what it did.
                raise ProviderError(
                    f"the simulated call for {request.idempotency_key} has no record",
                    retry_safe=False,
                    code="record_missing",
                    user_message="The simulator lost the record of this call.",
                )
            return SimulatorCall(claimed, self._clock, self._ring_seconds)
        base = self._calls / record.provider_call_id
        write_private(base.with_suffix(".txt"), _transcript(request, behaviour, events).encode())
        if self._record_audio and behaviour not in ("busy", "no_answer", "fail"):
            await asyncio.to_thread(self._write_audio, base.with_suffix(".wav"), request)
        return SimulatorCall(record, self._clock, self._ring_seconds)

    def _claim(self, final: Path, document: dict[str, Any]) -> bool:
        """Publish the record at `final` (named after its key), atomically; False if another
        request got there first."""
        draft = final.with_name(f".{final.name}.{os.getpid()}.{new_id('draft')}")
        write_private(draft, json.dumps(document, indent=2).encode(), exclusive=True)
        try:
            os.link(draft, final)
            return True
        except FileExistsError:
            return False
        finally:
            draft.unlink()

    def _write_audio(self, path: Path, request: CallRequest) -> None:
        opening = first_words(
            request.spoken_text, offers_menu=request.offers_menu, language=request.language
        )
        pcm = self._synthesize(opening, request.voice)
        with open_private(path) as file:
            audio.write_wav(file, pcm.samples, pcm.rate)

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        path = self._key_path(self._by_key, idempotency_key)
        try:
            document = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        return CallRecord(
            provider_call_id=document["provider_call_id"],
            events=tuple(_event_from_json(event) for event in document["events"]),
        )

    def call_document(self, provider_call_id: str) -> dict[str, Any] | None:
        """The stored record of a call, for tests and the CLI."""
        for path in self._by_key.glob("*.json"):
            document: dict[str, Any] = json.loads(path.read_text("utf-8"))
            if document["provider_call_id"] == provider_call_id:
                return document
        return None

    async def send_text(self, message: TextMessage) -> str:
        self._log_request("texts.log", message.idempotency_key, message.to_number)
        if self.behaviour_for(message.to_number) == "reject":
            raise ProviderError(
                "simulated rejection",
                retry_safe=True,
                code="rejected",
                user_message="The provider refused the text message.",
            )
        path = self._key_path(self._texts, message.idempotency_key)
        document = {
            "message_id": new_id("simtext"),
            "key": message.idempotency_key,
            "to": message.to_number,
            "from": message.sender,
            "body": message.body,
            "at": self._clock.now().isoformat(),
            # The simulated clock may stand still between texts (tests use a manual clock), so
            # the wall clock orders texts sent at the same simulated instant.
            "written_ns": time.time_ns(),
        }
        if not path.exists() and self._claim(path, document):
            return str(document["message_id"])
        first: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return str(first["message_id"])

    @property
    def inbound_texts(self) -> SimulatorInboundTexts:
        return SimulatorInboundTexts(self, self._text_key)

    def texts_to(self, number: str) -> list[dict[str, Any]]:
        """The records of the texts sent to `number`, newest last, for tests."""
        texts = []
        for path in self._texts.glob("*.json"):
            document: dict[str, Any] = json.loads(path.read_text("utf-8"))
            if document["to"] == number:
                texts.append(document)
        return sorted(
            texts, key=lambda text: (datetime.fromisoformat(text["at"]), text["written_ns"])
        )


def words_for(data_dir: Path, idempotency_key: str) -> str | None:
    """What the simulated callee heard, or was texted, for a request with this key; None when
    nothing was sent. For tests, benchmarks and anyone watching a simulated installation."""
    root = data_dir / "simulator"
    for folder, field in (("by-key", "spoken_text"), ("texts", "body")):
        path = SimulatorProvider._key_path(root / folder, idempotency_key)
        if path.exists():
            words: str = json.loads(path.read_text("utf-8"))[field]
            return words
    return None


# A verification code as a call reads it (digit by digit: "4, 1, 2, 9, 0, 7") or a text writes
# it, in any language: nothing else in a code's words is six digits in a row (an organization's
# name that a code may say has no run of three, `messages.org_names`; a port has five at most).
_CODE = re.compile(r"(?<![\d,] )(?<!\d)((?:\d, ){5}\d|\d{6})(?!,? ?\d)")


def code_heard(data_dir: Path, verification_id: str) -> str | None:
    """The 6-digit code a simulated phone was sent for a number verification, in whatever
    language it was said or texted."""
    words = words_for(data_dir, f"verify/{verification_id}")
    found = _CODE.search(words or "")
    return found.group(1).replace(", ", "") if found else None
