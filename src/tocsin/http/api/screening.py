"""`POST /v1/screen`: the safety screen for signed-in users, under the platform policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import shown
from tocsin.http.api.schemas.fields import Region
from tocsin.safety import ScreeningContext, screen

router = APIRouter(prefix="/v1", tags=["screening"], route_class=ApiRoute)

MAX_NUMBERS_PER_REQUEST = 100


class ScreenIn(BaseModel):
    model_config = shown({"numbers": ["+447400123456", "999", "+44 909 879 0000"], "region": "GB"})

    numbers: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1,
        max_length=MAX_NUMBERS_PER_REQUEST,
        description="The numbers to judge, E.164 or national with `region`",
    )
    region: Region | None = Field(default=None, description="Country for national formats")


class ReasonOut(BaseModel):
    code: str = Field(description="e.g. `emergency`, `premium_rate`, `sanctioned`, `invalid`")
    message: str = Field(description="The reason in words")


class VerdictOut(BaseModel):
    input: str = Field(description="The number as given")
    region: str | None = Field(description="The country it belongs to, if known")
    e164: str | None = Field(description="The number, E.164, if it is one")
    verdict: str = Field(description="`allow` or `block`")
    reasons: list[ReasonOut] = Field(description="Why it is blocked; empty when allowed")


class ScreenOut(BaseModel):
    model_config = shown(
        {
            "results": [
                {
                    "input": "+447400123456",
                    "region": "GB",
                    "e164": "+447400123456",
                    "verdict": "allow",
                    "reasons": [],
                },
                {
                    "input": "999",
                    "region": "GB",
                    "e164": None,
                    "verdict": "block",
                    "reasons": [{"code": "emergency", "message": "an emergency number"}],
                },
            ]
        }
    )

    results: list[VerdictOut] = Field(description="One verdict a number, in the order given")


@router.post("/screen", response_model=ScreenOut, summary="Screen numbers")
def screen_numbers(body: ScreenIn, caller: Caller = Depends(get_caller)) -> ScreenOut:
    """Judge numbers as the platform does, with every non-sanctioned country allowed. An
    organization's own policy (home country, international calling) is applied when it adds a
    contact. A signed-in person only, not an API key."""
    caller.signed_in_user()
    context = ScreeningContext(sanctioned_regions=caller.runtime.settings.sanctioned_region_set())
    return ScreenOut(
        results=[
            VerdictOut.model_validate(screen(number, body.region, context).as_dict())
            for number in body.numbers
        ]
    )
