"""A webhook's address: https, no credentials, an allowed port, and a host that resolves only to
public internet addresses.

The host rule is the one every request Tocsin makes to an address a customer chose obeys
(`telephony.hosts.HostPolicy`, shared with providers' hosts and external calendars); it runs
here before a subscription is saved, so a wrong address is refused at once, and again inside
the sender's transport after the DNS lookup of every attempt, which then connects to the
address it checked (a name that turns to 127.0.0.1 after the first check reaches nothing). The
shape (`url_shape`) is checked at both times too. Unlike an operator's provider hosts, a webhook
has no allowlist: the policy the server builds for webhooks is public-only
(`Runtime.webhook_hosts`).

The lookup before saving happens outside any transaction (`vet`, which the adapters call
before they open the one that saves): the host is the customer's to choose, and so is how
slowly its DNS answers, while SQLite has one writer at a time, and ingest is among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tocsin.core.errors import InvalidInput
from tocsin.telephony.hosts import HostPolicy, HostRefused

MAX_URL_CHARACTERS = 2048
# 443, or an unprivileged port: the ports below 1024 belong to other protocols (SSH, SMTP,
# DNS...), where a POST could be made to say something else.
DEFAULT_PORT = 443
LOWEST_OTHER_PORT = 1024


class WebhookUrlRefused(InvalidInput):
    default_code = "webhook_url_not_allowed"


@dataclass(frozen=True)
class UrlShape:
    host: str
    port: int


def url_shape(url: str) -> UrlShape:
    """The host and port of a URL a webhook may have, without looking anything up;
    WebhookUrlRefused saying why not."""
    if len(url) > MAX_URL_CHARACTERS:
        raise WebhookUrlRefused(f"a webhook URL has at most {MAX_URL_CHARACTERS} characters")
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in url):
        raise WebhookUrlRefused("a webhook URL holds no spaces or control characters")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise WebhookUrlRefused("this is not a URL a webhook can have") from None
    if parts.scheme.lower() != "https":
        raise WebhookUrlRefused("a webhook URL must be https")
    if not host:
        raise WebhookUrlRefused("a webhook URL needs a host")
    if "@" in parts.netloc:
        raise WebhookUrlRefused(
            "a webhook URL holds no user name or password; the signature says who is sending"
        )
    port = DEFAULT_PORT if port is None else port
    if port != DEFAULT_PORT and port < LOWEST_OTHER_PORT:
        raise WebhookUrlRefused(f"a webhook URL's port is 443 or {LOWEST_OTHER_PORT}-65535")
    return UrlShape(host, port)


@dataclass(frozen=True)
class VettedUrl:
    """A webhook URL whose shape was checked and whose host was looked up and allowed: made by
    `vet` only, so a command that takes one knows the lookup happened before it."""

    url: str


def vet(policy: HostPolicy, url: str) -> VettedUrl:
    """`check_webhook_url`, as the proof a command takes. Call it outside any transaction."""
    return VettedUrl(check_webhook_url(policy, url))


def check_webhook_url(policy: HostPolicy, url: str) -> str:
    """The URL, stripped, when a webhook may be sent there: its shape, and its host resolving
    only to addresses the policy allows (a lookup, which blocks). WebhookUrlRefused (422,
    `webhook_url_not_allowed`) otherwise."""
    url = url.strip()
    shape = url_shape(url)
    try:
        policy.addresses(shape.host, shape.port, what="webhook host")
    except HostRefused:
        raise WebhookUrlRefused(
            f"webhook host {shape.host!r} is not allowed: it must resolve only to public "
            "internet addresses",
            details={"host": shape.host},
        ) from None
    return url
