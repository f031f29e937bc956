"""A test call through a REST provider: the provider asks Tocsin what to say once the callee
answers, in a signed callback naming the test call's key (`test/<id>`), as it does for an
alert's call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests import rows
from tests.factories import make_tenant, ok
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.audit.log import SYSTEM
from tocsin.providers.test_calls import PreparedCall, prepare_test_call
from tocsin.runtime import Runtime

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PHONE = "+447400123456"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "3" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def _test_call(runtime: Runtime, org_id: str) -> PreparedCall:
    """`tocsin call test --org`: prepared, then dialled through the first provider."""
    with runtime.database.write() as session:
        prepared = prepare_test_call(
            session,
            org_id=org_id,
            to=PHONE,
            region=None,
            providers=runtime.provider_directory(),
            settings=runtime.settings,
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    choice = prepared.choices[0]
    asyncio.run(choice.provider.dial(prepared.request_through(choice)))
    return prepared


def test_a_test_call_through_the_orgs_twilio_is_not_answered_today(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = make_tenant(client, phone=PHONE)
    account = twilio_api.provider_account(
        "Our Twilio", rows.proven_caller_id(runtime, tenant.org_id)
    )
    ok(client.post(f"/v1/orgs/{tenant.org_id}/providers", headers=tenant.auth, json=account), 201)
    _test_call(runtime, tenant.org_id)

    phone = twilio_api.phone(client)
    response = phone._post(phone.call.request["Url"], {"CallStatus": "in-progress"})
    # The bug: nothing knows a `test/...` key, so Twilio gets a 404 and says "an application
    # error has occurred" instead of the test sentence.
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "provider_not_configured",
    )
