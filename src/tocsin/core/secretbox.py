"""Encryption at rest for secrets Tocsin must be able to read back, such as a telephony
provider's API token: Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from the instance
secret, so a copy of the database alone does not reveal them."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from tocsin.core.errors import TocsinError
from tocsin.core.secrets import derive_key


class SecretUnreadable(TocsinError):
    status_code = 500
    default_code = "secret_unreadable"


class SecretBox:
    def __init__(self, master_secret: bytes, purpose: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(master_secret, purpose)))

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        try:
            values: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken as exc:
            # Usually TOCSIN_SECRET_KEY changed since the secret was stored.
            raise SecretUnreadable(
                "stored credentials cannot be decrypted with this server's secret key"
            ) from exc
        return values
