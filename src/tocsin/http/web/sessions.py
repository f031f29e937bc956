"""Browser sessions: a random token in an HttpOnly cookie, its HMAC digest in the database.

A session lasts 12 hours from sign-in and can be ended (sign-out, or the user's suspension,
which `tocsin.restrictions.blocks.user_block` checks on every request). Each session has its own
CSRF token, which every form and htmx request must send back.
"""

from __future__ import annotations

import hmac

from tocsin.accounts.models import WebSession

COOKIE = "tocsin_session"


def csrf_matches(row: WebSession, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(row.csrf_token.encode(), sent.encode())
