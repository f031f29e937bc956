"""Fixtures of the outgoing webhook tests: a real HTTPS receiver (tests/outgoing/receiver.py),
and the server pointed at it through its seams (host policy, TLS trust)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.outgoing.receiver import Receiver
from tocsin.core.clock import ManualClock
from tocsin.engine.worker import Worker
from tocsin.runtime import Runtime


@pytest.fixture
def receiver(tmp_path: Path, clock: ManualClock) -> Iterator[Receiver]:
    with Receiver(tmp_path, clock) as running:
        yield running


@pytest.fixture
def worker(runtime: Runtime, receiver: Receiver) -> Worker:
    """The server's own worker, built from its runtime, reaching the receiver through the two
    seams a test may set: which hosts webhooks may reach and which certificates are trusted."""
    runtime.webhook_hosts = receiver.policy
    runtime.webhook_tls = receiver.tls
    return runtime.build_worker()


def send(worker: Worker) -> int:
    """One look for webhooks due, as the worker's round takes it; how many were attempted."""
    return asyncio.run(worker.send_webhooks())
