"""`POST /v1/screen`: the safety screen for signed-in users, under the platform policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.fields import Region
from tocsin.safety import ScreeningContext, screen

router = APIRouter(prefix="/v1", tags=["screening"], route_class=ApiRoute)

MAX_NUMBERS_PER_REQUEST = 100


class ScreenIn(BaseModel):
    numbers: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=MAX_NUMBERS_PER_REQUEST
    )
    region: Region | None = Field(default=None, description="Country for national formats")


class ReasonOut(BaseModel):
    code: str
    message: str


class VerdictOut(BaseModel):
    input: str
    region: str | None
    e164: str | None
    verdict: str
    reasons: list[ReasonOut]


class ScreenOut(BaseModel):
    results: list[VerdictOut]


@router.post("/screen", response_model=ScreenOut)
def screen_numbers(body: ScreenIn, caller: Caller = Depends(get_caller)) -> ScreenOut:
    """Judge numbers as the platform does, with every non-sanctioned country allowed. An
    organization's own policy (home country, international calling) is applied when it adds a
    contact."""
    caller.signed_in_user()
    context = ScreeningContext(sanctioned_regions=caller.runtime.settings.sanctioned_region_set())
    return ScreenOut(
        results=[
            VerdictOut.model_validate(screen(number, body.region, context).as_dict())
            for number in body.numbers
        ]
    )
