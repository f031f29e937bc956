"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a free local port."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.helpers import START_TIMEOUT, free_port, wait_for

BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


def available() -> bool:
    return Path(BINARY).exists()


class Alertmanager:
    def __init__(self, root: Path, config: dict[str, Any]) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.root = root / "alertmanager"
        self.root.mkdir()
        config_path = self.root / "alertmanager.yml"
        config_path.write_text(yaml.safe_dump(config), "utf-8")
        self.log_path = self.root / "alertmanager.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    BINARY,
                    f"--config.file={config_path}",
                    f"--storage.path={self.root / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    # A single instance: no gossip port to bind, no peers to wait for.
                    "--cluster.listen-address=",
                    "--log.level=debug",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.client = httpx.Client(base_url=self.base_url, timeout=5.0)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"alertmanager exited:\n{self.log()}")
            try:
                return self.client.get("/-/ready").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=START_TIMEOUT, what="alertmanager is ready", interval=0.05)

    def fire(self, *alerts: dict[str, Any]) -> None:
        """Post alerts as Prometheus would (labels and annotations each)."""
        self._post([{**alert, "startsAt": _now()} for alert in alerts])

    def resolve(self, *alerts: dict[str, Any]) -> None:
        """Post the same alerts as ended, as Prometheus does when they clear."""
        ended = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        self._post([{**alert, "endsAt": ended} for alert in alerts])

    def _post(self, alerts: list[dict[str, Any]]) -> None:
        response = self.client.post("/api/v2/alerts", json=alerts)
        assert response.status_code == 200, response.text

    def close(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _now() -> str:
    return datetime.now(UTC).isoformat()
