"""Request and response bodies of the password API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tocsin.http.api.schemas.fields import Email, NewPassword


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: NewPassword


class PasswordResetIn(BaseModel):
    email: Email


class PasswordResetAskedOut(BaseModel):
    message: str = Field(description="The same for every address, with an account or not")


class PasswordResetCompleteIn(BaseModel):
    token: str = Field(max_length=200, description="The token of the link mailed to the address")
    new_password: NewPassword
