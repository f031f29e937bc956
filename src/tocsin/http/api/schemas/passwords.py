"""Request and response bodies of the password API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tocsin.http.api.schemas.common import shown
from tocsin.http.api.schemas.fields import Email, NewPassword


class PasswordChangeIn(BaseModel):
    model_config = shown(
        {"current_password": "correct horse battery staple", "new_password": "tr0mbone pelican"}
    )

    current_password: str = Field(max_length=256, description="The password now, to confirm")
    new_password: NewPassword


class PasswordResetIn(BaseModel):
    model_config = shown({"email": "ada@example.com"})

    email: Email = Field(description="The account's address")


class PasswordResetAskedOut(BaseModel):
    message: str = Field(description="The same for every address, with an account or not")


class PasswordResetCompleteIn(BaseModel):
    model_config = shown(
        {"token": "pwr_01m8ycrxap78197genycv3nvhg.c2VjcmV0", "new_password": "tr0mbone pelican"}
    )

    token: str = Field(max_length=200, description="The token of the link mailed to the address")
    new_password: NewPassword
