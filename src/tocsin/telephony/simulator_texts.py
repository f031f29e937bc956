"""Texts sent to the simulator's numbers: a signed inbound format of its own.

Nobody can text a simulated number, so something must play the phone: `tocsin simulate reply`
(or a test) posts what a person would have texted to `/v1/telephony/simulator/sms`, as a REST
provider posts its inbound-message webhook. The request is JSON,

    {"message_id": "simin_...", "from": "+447700900123", "to": "+447400000001", "text": "1"}

signed like Stripe's and Paddle's webhooks: `X-Tocsin-Simulator-Signature: t=<unix seconds>,
v1=<hex HMAC-SHA256 of "<t>." followed by the body>`, keyed by a key derived from the server's
secret (`TOCSIN_SECRET_KEY`, purpose `simulator-texts`), and at most `TOLERANCE` old or ahead.
Only whoever holds the server's secret can sign one, so the simulator's numbers are no way in
for anyone else; a server whose simulator was built without the key accepts none.

Tocsin's answer is "sent" as every simulated text is: written under `<data dir>/simulator/texts/`
(`SimulatorProvider.texts_to` reads it back), and the webhook gets an empty 204.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from tocsin.core.ids import new_id
from tocsin.telephony.base import TextSender
from tocsin.telephony.callbacks import NO_CONTENT, CallbackRequest
from tocsin.telephony.inbound import InboundText, e164, required, send_reply

SIGNATURE_HEADER = "X-Tocsin-Simulator-Signature"
TOLERANCE = timedelta(minutes=5)
# The purpose the server's secret is derived for (core.secrets.derive_key).
KEY_PURPOSE = "simulator-texts"


def signature(key: bytes, body: bytes, at: datetime) -> str:
    """The signature header's value for `body` sent at `at`."""
    timestamp = str(int(at.timestamp()))
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def inbound_text(
    key: bytes,
    *,
    from_number: str,
    to_number: str,
    text: str,
    at: datetime,
    message_id: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a text someone "sent" to a simulated number."""
    body = json.dumps(
        {
            "message_id": message_id or new_id("simin"),
            "from": from_number,
            "to": to_number,
            "text": text,
        }
    ).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(key, body, at)}
    return body, headers


def verify(key: bytes, request: CallbackRequest) -> bool:
    """Signed with `key`, within `TOLERANCE` of when it arrived; compared in constant time."""
    header = request.header(SIGNATURE_HEADER)
    if not key or not header:
        return False
    fields = dict(part.strip().partition("=")[::2] for part in header.split(","))
    timestamp, given = fields.get("t", ""), fields.get("v1", "")
    if not timestamp.isdigit() or not given:
        return False
    sent = datetime.fromtimestamp(int(timestamp), tz=request.received_at.tzinfo)
    if abs(request.received_at - sent) > TOLERANCE:
        return False
    expected = signature(key, request.body, sent).partition(",v1=")[2]
    return hmac.compare_digest(expected.encode(), given.encode())


class SimulatorInboundTexts:
    """The simulator's side of `telephony.inbound.TextAdapter`."""

    acknowledgement = NO_CONTENT

    def __init__(self, provider: TextSender, key: bytes) -> None:
        """`provider`: the simulator, which writes the answer down."""
        self._provider = provider
        self._key = key

    def verify(self, request: CallbackRequest) -> bool:
        return verify(self._key, request)

    def parse(self, request: CallbackRequest) -> InboundText:
        fields = request.json_object()
        return InboundText(
            message_id=required(fields.get("message_id"), field="message_id")[:100],
            from_number=e164(fields.get("from"), field="from"),
            to_number=e164(fields.get("to"), field="to"),
            body=str(fields.get("text") or ""),
        )

    async def reply(self, text: InboundText, body: str) -> str:
        return await send_reply(self._provider, text, body)
