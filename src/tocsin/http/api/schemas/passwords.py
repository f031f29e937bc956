"""Request and response bodies of the password API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class PasswordResetIn(BaseModel):
    email: str = Field(max_length=320)


class PasswordResetAskedOut(BaseModel):
    message: str = Field(description="The same for every address, with an account or not")


class PasswordResetCompleteIn(BaseModel):
    token: str = Field(max_length=200, description="The token of the link mailed to the address")
    new_password: str = Field(max_length=256)
