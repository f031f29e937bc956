"""The callback URLs Tocsin hands to providers, under `/v1/telephony/{provider}/`.

Each URL carries the attempt's idempotency key (and, for keypresses, the prompt round), so a
callback finds its attempt even before the worker has recorded the provider's call id. Twilio and
Plivo sign the full URL, so the key cannot be changed in transit; Telnyx carries it in the signed
client state instead; Vonage signs only the body, so its URLs add a token that binds the key to
the account (see `vonage.VonageProvider.key_token`).
"""

from __future__ import annotations

from urllib.parse import urlencode

CALLBACK_PREFIX = "/v1/telephony"


def callback_url(public_base_url: str, provider: str, route: str, **query: str | int) -> str:
    url = f"{public_base_url.rstrip('/')}{CALLBACK_PREFIX}/{provider}/{route}"
    return f"{url}?{urlencode(query)}" if query else url


def e164_digits(number: str) -> str:
    """Plivo and Vonage take numbers as digits without the leading plus."""
    return number.removeprefix("+")
