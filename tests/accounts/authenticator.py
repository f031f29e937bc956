"""Two-step sign-in turned on for a person written as rows, as the account page turns it on."""

from __future__ import annotations

import pyotp

from tocsin.accounts import totp
from tocsin.core.actors import Actor
from tocsin.organizations import registration
from tocsin.runtime import Runtime


def with_authenticator(runtime: Runtime, user_id: str) -> str:
    """Turn two-step sign-in on for the person, with a code of this moment; the secret."""
    secret = totp.new_secret()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        registration.enable_second_step(
            session, runtime, user_id=user_id, secret=secret,
            code=pyotp.TOTP(secret).at(now), actor=Actor("user", user_id), now=now,
        )  # fmt: skip
    return secret
