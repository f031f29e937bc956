"""Versioned policy documents: the acceptable-use policy and the terms.

Placeholder until policy documents are built: the version of the policy shipped with Tocsin.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

SHIPPED_AUP_VERSION = "2026-12-01"


def aup_version_in_force(session: Session, now: datetime) -> str:
    """The version of the acceptable-use policy a consent given at `now` agrees to."""
    return SHIPPED_AUP_VERSION
