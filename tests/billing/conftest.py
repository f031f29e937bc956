"""Billing tests run with Paddle configured: two webhook secrets (a rotation in progress) and
a price that buys the Team plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import settings_for
from tocsin.core.config import Settings

OLD_SECRET = b"pdl_ntfset_01old_secret_0123456789abcdef"
NEW_SECRET = b"pdl_ntfset_01new_secret_abcdef0123456789"
TEAM_PRICE = "pri_01team"


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return settings_for(
        database_url,
        data_dir,
        paddle_webhook_secrets=f"{NEW_SECRET.decode()},{OLD_SECRET.decode()}",
        paddle_price_plans=f"{TEAM_PRICE}=team",
    )
