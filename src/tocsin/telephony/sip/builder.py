"""Building a SIP trunk provider from a provider account's settings and credentials.

    sip  credentials: username, password (both optional: IP-authenticated trunks need none)
         settings:    host (required), port, transport (udp|tcp|tls), from_domain, caller_id,
                      extra_headers, advertised_host, ring_timeout, invite_timeout (seconds
                      without any answer to an INVITE before the trunk counts as down and the
                      next account is tried; default 32), max_call_seconds, register

TLS verifies the trunk's certificate against the system store. Saving an account also checks
each extra header against `sip.headers` (only X- names) and, for an organization's account,
that the host resolves only to public addresses (`telephony.hosts`); a stored account is
built whatever its headers, and its INVITEs carry only the allowed ones.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from tocsin.telephony.base import Provider
from tocsin.telephony.factory import BuildContext, ProviderConfigError, ProviderFactory, TextRules
from tocsin.telephony.sip import headers
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.provider import SipTrunkProvider

_SETTINGS = {
    "host",
    "port",
    "transport",
    "from_domain",
    "caller_id",
    "extra_headers",
    "advertised_host",
    "ring_timeout",
    "invite_timeout",
    "max_call_seconds",
    "register",
}


def build_sip(
    settings: Mapping[str, Any], credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    unknown = sorted(set(settings) - _SETTINGS)
    if unknown:
        raise ProviderConfigError(f"sip settings: unknown {', '.join(unknown)}")
    host = settings.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ProviderConfigError("sip settings: host is required")
    transport = str(settings.get("transport", "udp"))
    try:
        config = SipTrunkConfig(
            host=host.strip(),
            port=int(settings.get("port", 5060)),
            transport=transport,  # type: ignore[arg-type]
            username=credentials.get("username"),
            password=credentials.get("password"),
            from_domain=settings.get("from_domain"),
            caller_id=str(settings.get("caller_id", "anonymous")),
            extra_headers={str(k): str(v) for k, v in settings.get("extra_headers", {}).items()},
            advertised_host=settings.get("advertised_host"),
            ring_timeout=float(settings.get("ring_timeout", SipTrunkConfig.ring_timeout)),
            invite_timeout=float(settings.get("invite_timeout", SipTrunkConfig.invite_timeout)),
            max_call_seconds=float(
                settings.get("max_call_seconds", SipTrunkConfig.max_call_seconds)
            ),
            register=bool(settings.get("register", False)),
            tls_context=ssl.create_default_context() if transport == "tls" else None,
            hosts=context.hosts,
        )
    except headers.MalformedHeader as exc:
        raise ProviderConfigError(
            f"sip settings: {exc}", code="sip_header_not_allowed", details={"header": exc.name}
        ) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ProviderConfigError(f"sip settings: {exc}") from exc
    return SipTrunkProvider(config, context.clock)


def check_sip(settings: Mapping[str, Any], context: BuildContext) -> None:
    """Before an account is saved (or, for the operator's, at start-up): every extra header
    allowed, and the host allowed by the context's host policy (looked up now)."""
    extra = settings.get("extra_headers", {})
    if len(extra) > headers.MAX_HEADERS:
        raise ProviderConfigError(
            f"sip settings: at most {headers.MAX_HEADERS} extra_headers",
            code="sip_header_not_allowed",
        )
    # The operator's own trunk may carry identity headers its carrier requires (the build
    # keeps them too); it is held only to one line per header.
    rule = headers.refusal if context.hosts is not None else headers.malformation
    for name, value in extra.items():
        why = rule(str(name), value)
        if why is not None:
            raise ProviderConfigError(
                f"sip settings: {why}", code="sip_header_not_allowed", details={"header": name}
            )
    if context.hosts is not None:
        host = str(settings["host"]).strip()
        context.hosts.addresses(host, int(settings.get("port", 5060)), what="sip settings: host")


def register_sip_provider(factory: ProviderFactory) -> None:
    # Extra headers have a rule of their own (`sip.headers`: printable ASCII, X- names).
    text_rules = TextRules(own_rule=frozenset({"settings.extra_headers"}))
    factory.register("sip", build_sip, check_sip, text_rules)
