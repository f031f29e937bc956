"""Issue 17, finding 15 (logs): a database error logged its statement's parameters (alert bodies,
e-mail addresses, tokens), and on PostgreSQL the server's DETAIL quotes the offending row
("Key (email)=(...) already exists"). The statement is kept, for whoever debugs it; no value
is, in the exception's text, its traceback, or the log record of a request it failed.
"""

from __future__ import annotations

import logging
import traceback

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from tocsin.accounts.models import User
from tocsin.http.errors import install_error_handlers
from tocsin.runtime import Runtime

EMAIL = "private.person@example.com"
NAME = "Private Person"
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$not-for-any-log"
FIRST, SECOND = "usr_private_one", "usr_private_two"
VALUES = (EMAIL, NAME, PASSWORD_HASH, FIRST, SECOND)


def _add_user(runtime: Runtime, user_id: str) -> None:
    with runtime.database.write() as session:
        session.add(
            User(
                id=user_id,
                email=EMAIL,
                display_name=NAME,
                password_hash=PASSWORD_HASH,
                created_at=runtime.clock.now(),
            )
        )


def _the_same_address_twice(runtime: Runtime) -> None:
    _add_user(runtime, FIRST)
    _add_user(runtime, SECOND)


def test_an_integrity_error_names_its_statement_and_no_value(runtime: Runtime) -> None:
    with pytest.raises(IntegrityError) as raised:
        _the_same_address_twice(runtime)
    # What every logger prints of it: the message, and the chain of causes with theirs.
    printed = "".join(traceback.format_exception(raised.value))
    assert "INSERT INTO users" in printed
    assert [value for value in VALUES if value in printed] == []
    # What code may still ask of it is all there.
    assert raised.value.params is not None


def test_a_request_failing_on_the_database_logs_the_statement_and_no_value(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = FastAPI()
    app.state.runtime = runtime
    install_error_handlers(app)

    @app.post("/add-twice")
    def add_twice() -> None:
        _the_same_address_twice(runtime)

    with (
        caplog.at_level(logging.ERROR, logger="tocsin"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        assert client.post("/add-twice").status_code == 500
    [record] = [r for r in caplog.records if r.name.startswith("tocsin")]
    logged = logging.Formatter().format(record)
    assert "INSERT INTO users" in logged
    assert [value for value in VALUES if value in logged] == []
