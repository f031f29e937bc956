"""`tocsin user reset-password`: a reset link for the operator to hand over."""

from __future__ import annotations

from typing import Any

from tocsin.accounts import password_resets
from tocsin.cli.admin import user_app
from tocsin.cli.common import CLI_ACTOR, JsonOption, emit, friendly_errors
from tocsin.cli.database import open_runtime


@user_app.command("reset-password")
@friendly_errors
def user_reset_password(email: str, as_json: bool = JsonOption) -> None:
    """Print a link that sets a new password for the user: it works once, for 30 minutes, and
    signs them out everywhere. Nothing is mailed; give it to them yourself (on a server
    without TOCSIN_SMTP_URL it is the only way back in), once you know they are who they say."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        link, row = password_resets.link_for_operator(
            session, runtime, email=email, actor=CLI_ACTOR, now=runtime.clock.now()
        )
        data: dict[str, Any] = {
            "email": row.email,
            "link": link,
            "expires_at": row.expires_at.isoformat(),
        }
    emit(
        as_json,
        data,
        f"{data['link']}\n(for {data['email']}; works once, until {data['expires_at']})",
    )
