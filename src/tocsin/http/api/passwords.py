"""Passwords: changing one while signed in, and resetting a forgotten one by a mailed link."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts import password_changes, password_resets, service
from tocsin.http.api.deps import Caller, client_ip, get_caller, get_runtime
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.accounts import TokensOut
from tocsin.http.api.schemas.common import MAIL_OFF, errors
from tocsin.http.api.schemas.passwords import (
    PasswordChangeIn,
    PasswordResetAskedOut,
    PasswordResetCompleteIn,
    PasswordResetIn,
)
from tocsin.runtime import Runtime

router = APIRouter(prefix="/v1", route_class=ApiRoute, tags=["auth"])

RESET_ASKED = (
    "If an account has this address, a link to choose a new password is on its way to it. "
    "The link works once, for 30 minutes."
)


@router.post(
    "/me/password",
    response_model=TokensOut,
    summary="Change my password",
    responses=errors((401, "invalid_credentials", "the current password is wrong")),
)
def change_password(body: PasswordChangeIn, caller: Caller = Depends(get_caller)) -> TokensOut:
    """A new password, with the current one. Every other sign-in ends (browsers and refresh
    tokens); the answer is a new token pair for this one. The address is told by mail. A
    signed-in person only."""
    runtime = caller.runtime
    now = runtime.clock.now()
    with caller.user(write=True) as (session, principal, actor):
        password_changes.change(
            session,
            runtime,
            user_id=principal.id,
            current_password=body.current_password,
            new_password=body.new_password,
            actor=actor,
            now=now,
        )
        pair = service.issue_tokens(
            session,
            user_id=principal.id,
            codec=runtime.tokens,
            now=now,
            access_lifetime=runtime.access_lifetime,
            refresh_lifetime=runtime.refresh_lifetime,
        )
    return TokensOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post(
    "/auth/password-reset",
    status_code=202,
    response_model=PasswordResetAskedOut,
    summary="Ask for a password reset link",
    openapi_extra=PUBLIC,
    responses=errors(429, MAIL_OFF),
)
def ask_for_reset(
    body: PasswordResetIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> PasswordResetAskedOut:
    """Mail a reset link to the address if it has an account. The answer is the same either
    way; the limits (per client address and per e-mail address) count every address. Anyone
    may call it."""
    password_resets.limit_requests(runtime, email=body.email, ip_address=request_ip)
    with runtime.database.write() as session:
        password_resets.request(
            session, runtime, email=body.email, ip_address=request_ip, now=runtime.clock.now()
        )
    return PasswordResetAskedOut(message=RESET_ASKED)


@router.post(
    "/auth/password-reset/complete",
    status_code=204,
    summary="Choose a new password with a reset link",
    openapi_extra=PUBLIC,
    responses=errors(
        (409, "reset_token_used", "this reset link was used already; ask for a new one"),
        (409, "reset_token_expired", "this reset link has expired; ask for a new one"),
        (422, "reset_token_invalid", "this reset link is not valid"),
        (422, "weak_password", "this password is too common"),
    ),
)
def complete_reset(
    body: PasswordResetCompleteIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> None:
    """Choose the new password with the link's token: once, within 30 minutes. Every sign-in
    of the account ends; sign in again with the new password. The token is the credential."""
    with runtime.database.write() as session:
        password_resets.complete(
            session,
            runtime,
            token=body.token,
            new_password=body.new_password,
            ip_address=request_ip,
            now=runtime.clock.now(),
        )
