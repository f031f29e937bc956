"""Twilio's and Plivo's callbacks, which differ only in names.

Both post form-encoded callbacks to one URL per hook, with the call's key (and a keypress's prompt
round) in its query; both sign that public URL together with the POST parameters (HMAC, each in
its own way); both name the call and its status in form fields; and both take an XML document
that says a turn inside a one-key gather followed by a redirect to the gather route for when no
key comes, or says it and hangs up. `FormCallbacks` is that shape; a provider's subclass gives its
signature check, its field names and its XML words.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar
from xml.etree import ElementTree as ET

from tocsin.telephony.base import CallEvent, CallEventKind
from tocsin.telephony.callbacks import (
    NO_CONTENT,
    CallbackEvent,
    CallbackReply,
    CallbackRequest,
    CallView,
    Hook,
    hook_of,
    key_in_url,
    round_in_url,
    turn_after,
)
from tocsin.telephony.dialogue import Turn, event, keypress_events
from tocsin.telephony.rest.urls import callback_url

HOOKS = {"answer": Hook.ANSWER, "gather": Hook.KEYPRESS, "status": Hook.STATUS}
ROUTES = frozenset(HOOKS)


@dataclass(frozen=True)
class FormFields:
    """What one provider calls the same things in its form callbacks."""

    # The field naming the call by the id Tocsin keeps for it.
    call_id: str
    # The field saying why a call failed.
    failure_detail: str
    # Its CallStatus values, as call events; a status not listed moves nothing.
    statuses: Mapping[str, CallEventKind]


@dataclass(frozen=True)
class XmlWords:
    """What one provider's XML calls saying a turn and gathering a key."""

    say: str
    gather: str


def xml_document(root: ET.Element) -> str:
    """ElementTree escapes the alert text, which comes from webhooks."""
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


# An XML answer that says and does nothing: what a message webhook gets once Tocsin has sent
# its own reply through the API.
EMPTY_RESPONSE = xml_document(ET.Element("Response"))


def status_of(params: Sequence[tuple[str, str]], fields: FormFields) -> tuple[str, list[CallEvent]]:
    """A status callback: the call's id and what happened."""
    values = dict(params)
    call_id = values.get(fields.call_id, "")
    kind = fields.statuses.get(values.get("CallStatus", ""))
    if kind is None:
        return call_id, []
    detail = values.get(fields.failure_detail, "") if kind == CallEventKind.FAILED else ""
    return call_id, [event(kind, detail=detail)]


def digits_of(params: Sequence[tuple[str, str]], fields: FormFields) -> tuple[str, str]:
    """A gather's result: the call's id and the key pressed ('' when none was)."""
    values = dict(params)
    return values.get(fields.call_id, ""), values.get("Digits", "")[:1]


class FormCallbacks(ABC):
    """A form-posting provider account's callbacks (see the module docstring)."""

    kind: ClassVar[str]
    fields: ClassVar[FormFields]
    words: ClassVar[XmlWords]

    def __init__(self, *, public_base_url: str) -> None:
        self._public_base_url = public_base_url

    @abstractmethod
    def verify(self, request: CallbackRequest) -> bool: ...

    @abstractmethod
    def say_attributes(self, language: str) -> dict[str, str]:
        """The attributes of the element that says a turn in `language` (a code of
        `telephony.prompts`), in document order."""

    def speaks(self, language: str) -> bool:
        """Whether the provider's text-to-speech speaks `language`; a call in one it does not
        is said in English (`CallView.spoken_by`)."""
        return True

    @abstractmethod
    def gather_attributes(self, gather_url: str) -> dict[str, str]:
        """The attributes of the element that waits for a key, in document order."""

    def parse(self, request: CallbackRequest) -> CallbackEvent:
        hook = hook_of(request, HOOKS)
        params = request.form()
        key = key_in_url(request)
        if hook is Hook.KEYPRESS:
            call_id, digit = digits_of(params, self.fields)
            round_no = round_in_url(request)
            events = keypress_events(digit, round_no)
            return CallbackEvent(key, hook, call_id, tuple(events), digits=digit, round_no=round_no)
        call_id, events = status_of(params, self.fields)
        if hook is Hook.ANSWER:
            # The answer request is the news that the call was answered, whatever its status.
            events = [event(CallEventKind.ANSWERED)]
        return CallbackEvent(key, hook, call_id, tuple(events))

    async def reply(self, event: CallbackEvent, call: CallView | None) -> CallbackReply:
        turn = turn_after(event, call.spoken_by(self.speaks)) if call is not None else None
        if turn is None:
            return NO_CONTENT
        return CallbackReply.xml(self.document(turn, event.key or ""))

    def document(self, turn: Turn, key: str) -> str:
        """The XML for one turn: its text inside a one-key gather, or its text and a hang-up."""
        response = ET.Element("Response")
        say = self.say_attributes(turn.language)
        if not turn.gather:
            ET.SubElement(response, self.words.say, say).text = turn.text
            ET.SubElement(response, "Hangup")
            return xml_document(response)
        gather_url = callback_url(
            self._public_base_url, self.kind, "gather", key=key, round=turn.round_no
        )
        gather = ET.SubElement(response, self.words.gather, self.gather_attributes(gather_url))
        ET.SubElement(gather, self.words.say, say).text = turn.text
        # No key before the gather times out: the provider moves on to here, and the gather
        # route, seeing no Digits, reads the prompt again (or says goodbye).
        ET.SubElement(response, "Redirect", method="POST").text = gather_url
        return xml_document(response)
