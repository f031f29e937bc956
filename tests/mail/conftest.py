"""Mail tests run with TOCSIN_SMTP_URL pointing at a real SMTP server in the process
(tests/mail/mailbox.py), and Paddle configured as the billing tests have it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.billing.conftest import NEW_SECRET, TEAM_PRICE
from tests.conftest import settings_for
from tests.mail.mailbox import Mailbox
from tocsin.core.config import Settings

FROM = "Tocsin <alerts@tocsin.test>"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def settings(database_url: str, data_dir: Path, mailbox: Mailbox) -> Settings:
    return settings_for(
        database_url,
        data_dir,
        smtp_url=mailbox.url,
        mail_from=FROM,
        paddle_webhook_secrets=NEW_SECRET.decode(),
        paddle_price_plans=f"{TEAM_PRICE}=team",
    )
