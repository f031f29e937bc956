"""Every guide in docs/integrations/, run as written against a live `tocsin serve`.

A guide begins with the shell blocks of "Before any guide" (docs/integrations/README.md): an
organization, a contact whose number is verified (the test types back the code the simulated
phone heard, as its owner would at the `read` prompt), then the guide's own `setup-endpoint`
block or the README's. What the blocks print (the URL and the key) is what the sender is set up
with; the sender's bodies from the guide are then sent as the guide says the sender sends them
(the header, the key in the URL, or no key), and the test checks that the contact's phone rang
about it and that the guide's recovery resolved it. Alertmanager's guide runs through a real
`prometheus-alertmanager` with its own `alertmanager.yml`.

One server and one verified contact serve every guide of the module; throttles are off because
every guide calls the same number. Most guides send to the endpoint of the README's shared
`setup-endpoint` block: it runs once, and those guides share the endpoint it made, as a reader
setting up several senders could (each `tocsin` it runs is a whole Python start-up, and running
the same commands again for every guide tested nothing new).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import yaml
from sqlalchemy import select

from tests.e2e import alertmanager
from tests.e2e.alertmanager import Alertmanager
from tests.e2e.docs import DOCS, block, blocks
from tests.e2e.helpers import TOCSIN, System, TocsinProcess, wait_for
from tests.ingest.sender_bodies import body
from tocsin.numbers.models import NumberVerification
from tocsin.tables import Alert, CallAttempt
from tocsin.telephony.simulator import code_heard

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("jq") is None or shutil.which("bash") is None,
        reason="the guides' shell blocks use bash and jq",
    ),
]

PHONE = "+447400123456"


@dataclass(frozen=True)
class Sender:
    """How a guide's sender reaches Tocsin (`auth`: `bearer` or `x-alert-key` header, `basic`
    credentials, the key as the URL's `userinfo`, or `none` for an endpoint without a key) and
    the names of its firing and recovery bodies."""

    auth: str
    firing: str
    recovery: str
    # How the firing body reaches the contact: a call, or (an `info` alert) a text.
    channel: str = "voice"


SENDERS = {
    "aws-sns": Sender("url", "sns-firing", "sns-recovery"),
    "azure-monitor": Sender("none", "azure-firing", "azure-recovery", channel="sms"),
    "checkly": Sender("bearer", "checkly-firing", "checkly-recovery"),
    "datadog": Sender("bearer", "datadog-firing", "datadog-recovery"),
    "google-cloud-monitoring": Sender("basic", "google-cloud-firing", "google-cloud-recovery"),
    "grafana": Sender("bearer", "grafana-firing", "grafana-resolved"),
    "healthchecks": Sender("bearer", "healthchecks-firing", "healthchecks-recovery"),
    "nagios": Sender("bearer", "nagios-firing", "nagios-recovery"),
    "netdata": Sender("bearer", "netdata-firing", "netdata-recovery"),
    "new-relic": Sender("bearer", "new-relic-firing", "new-relic-recovery"),
    "pagerduty": Sender("bearer", "pagerduty-firing", "pagerduty-recovery"),
    "sentry": Sender("none", "sentry-firing", "sentry-recovery"),
    "uptime-kuma": Sender("x-alert-key", "kuma-down", "kuma-up"),
    "zabbix": Sender("bearer", "zabbix-firing", "zabbix-recovery"),
}
# Guides run by tests of their own: Alertmanager here, with the real binary; curl by
# tests/e2e/test_integrations.py, on the quick start's quickstart.env.
OWN_TESTS = {"alertmanager", "curl"}


def test_every_guide_is_run() -> None:
    """A new guide fails here until it is run as written."""
    guides = {path.stem for path in (DOCS / "integrations").glob("*.md")} - {"README"}
    assert guides == set(SENDERS) | OWN_TESTS


# The shell ------------------------------------------------------------------------------------


def shell_blocks(page: str, name: str) -> str:
    return "".join(code for info, code in blocks(page) if info.split()[1:] == [name])


@dataclass
class Shell:
    """The guides' shell: the server's environment, and the contact the start made."""

    system: System
    server: TocsinProcess
    contact: str = ""
    # What each endpoint block printed, by the block's text: a block shared by several guides
    # runs once.
    endpoints: dict[str, dict[str, str]] = field(default_factory=dict)

    def endpoint_for(self, guide: str) -> dict[str, str]:
        """The URL and key the guide's endpoint block (its own, or the README's) printed."""
        script = endpoint_setup(guide)
        if script not in self.endpoints:
            self.endpoints[script] = self.run(script)
        return self.endpoints[script]

    def run(self, script: str, *, answer_code: bool = False) -> dict[str, str]:
        """Run a guide's shell blocks; what they print as `NAME: value` lines. With
        `answer_code`, the code the simulated phone heard is typed at the guide's prompt."""
        env = self.system.env(port=urlsplit(self.server.base_url).port)
        env["PATH"] = f"{TOCSIN.parent}:{env['PATH']}"
        env["contact"] = self.contact
        process = subprocess.Popen(
            ["bash", "-c", "set -eo pipefail\n" + script + 'echo "contact: ${contact}"\n'],
            env=env,
            cwd=self.system.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if answer_code:
                process.stdin.write(self._code_heard() + "\n")  # type: ignore[union-attr]
            stdout, stderr = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, f"the guide's commands failed:\n{stderr}"
        printed = dict(
            line.split(": ", 1)
            for line in stdout.splitlines()
            if ": " in line and " " not in line.split(": ", 1)[0]
        )
        return printed

    def _code_heard(self) -> str:
        """The code of the verification call the script's `tocsin contact verify` placed."""

        def heard() -> str | None:
            latest = self.system.read(
                lambda s: s.scalar(
                    select(NumberVerification.id).order_by(NumberVerification.created_at.desc())
                )
            )
            return code_heard(self.system.data_dir, latest) if latest else None

        return wait_for(heard, timeout=60, what="the verification call read out a code")


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    """A fresh server and the guides' start, run once: an organization and a verified
    contact."""
    root = tmp_path_factory.mktemp("guides")
    system = System(root=root, database_url=f"sqlite:///{root / 'tocsin.db'}")
    try:
        server = system.start_serve(voice_throttle="", voice_throttle_news="")
        server.wait_serving()
        made = Shell(system, server)
        printed = made.run(
            shell_blocks("integrations/README.md", "setup-contact"), answer_code=True
        )
        made.contact = printed["contact"]
        assert made.contact.startswith("ct_")
        yield made
    finally:
        system.close()


def endpoint_setup(guide: str) -> str:
    """The guide's own endpoint block, or the one every guide shares."""
    return shell_blocks(f"integrations/{guide}.md", "setup-endpoint") or shell_blocks(
        "integrations/README.md", "setup-endpoint"
    )


# Sending as the sender does -------------------------------------------------------------------


def send(url: str, key: str | None, sender: Sender, name: str, guide: str) -> dict[str, object]:
    sent = body(guide, name)
    headers = {"Content-Type": sent.content_type} if sent.content_type else {}
    auth = None
    if sender.auth == "bearer":
        headers["Authorization"] = f"Bearer {key}"
    elif sender.auth == "x-alert-key":
        headers["X-Alert-Key"] = str(key)
    elif sender.auth == "basic":
        auth = httpx.BasicAuth("monitoring", str(key))
    elif sender.auth == "url":
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(netloc=f"tocsin:{key}@{parts.netloc}"))
    response = httpx.request(
        "GET" if sent.query else "POST",
        url,
        content=sent.raw or None,
        params=sent.query or None,
        headers=headers,
        auth=auth,
        timeout=10.0,
    )
    if sender.auth == "url" and response.status_code == 401:
        # As SNS does: the credentials of its URL go only once a 401 asks for them.
        response = httpx.post(url, content=sent.raw, headers=headers, auth=_userinfo(url))
    assert response.status_code == 202, response.text
    answer: dict[str, object] = response.json()
    return answer


def _userinfo(url: str) -> httpx.BasicAuth:
    parts = urlsplit(url)
    return httpx.BasicAuth(parts.username or "", parts.password or "")


def the_contact_was_reached(system: System, alert_id: str, channel: str = "voice") -> CallAttempt:
    """The simulated call about the alert, answered and acknowledged by its callee; or the text
    sent about it."""

    def reached() -> CallAttempt | None:
        attempt = system.read(
            lambda s: s.scalar(select(CallAttempt).where(CallAttempt.alert_id == alert_id))
        )
        if attempt is None or attempt.channel != channel:
            return None
        done = attempt.digits.startswith("1") if channel == "voice" else attempt.status == "sent"
        return attempt if done else None

    try:
        return wait_for(reached, timeout=30, what=f"the contact hears of {alert_id} ({channel})")
    except AssertionError as never:
        made = system.read(
            lambda s: [
                (a.channel, a.status, a.digits, a.error_code)
                for a in s.scalars(select(CallAttempt).where(CallAttempt.alert_id == alert_id))
            ]
        )
        raise AssertionError(f"{never}; its attempts: {made}") from None


@pytest.mark.parametrize("guide", sorted(SENDERS))
def test_the_guide_runs_as_written(guide: str, shell: Shell) -> None:
    sender = SENDERS[guide]
    printed = shell.endpoint_for(guide)
    url, key = printed["URL"], printed.get("key")
    assert url.startswith(f"{shell.server.base_url}/v1/hooks/ep_")
    assert (key is None) == (sender.auth == "none"), f"{guide}: the key its sender needs"

    firing = send(url, key, sender, sender.firing, guide)
    assert (firing["outcome"], firing["calls_queued"]) == ("created", 1), firing
    attempt = the_contact_was_reached(shell.system, str(firing["alert_id"]), sender.channel)
    assert (attempt.to_number, attempt.simulated) == (PHONE, True)

    recovery = send(url, key, sender, sender.recovery, guide)
    assert (recovery["alert_id"], recovery["outcome"]) == (firing["alert_id"], "resolved")
    alert = shell.system.read(lambda s: s.get(Alert, firing["alert_id"]))
    assert alert is not None
    assert alert.status == "resolved"


def test_the_alertmanager_guide_runs_with_a_real_alertmanager(shell: Shell) -> None:
    if not alertmanager.available():
        pytest.skip("prometheus-alertmanager (Debian package) is not installed")
    printed = shell.endpoint_for("alertmanager")
    config = yaml.safe_load(block("integrations/alertmanager.md", "alertmanager.yml"))
    webhook = config["receivers"][0]["webhook_configs"][0]
    # The two values the guide says to put in.
    webhook["url"] = printed["URL"]
    webhook["http_config"]["authorization"]["credentials"] = printed["key"]
    # The guide's timers are for production; a test cannot wait thirty seconds per step.
    config["route"].update(group_wait="1s", group_interval="1s")
    manager = Alertmanager(shell.system.root, config)
    alert = {
        "labels": {"alertname": "DiskFull", "cluster": "eu", "instance": "db1"},
        "annotations": {"summary": "Disk full on db1"},
    }
    try:
        manager.wait_ready()
        manager.fire(alert)
        paged = wait_for(
            lambda: shell.system.read(
                lambda s: s.scalar(select(Alert).where(Alert.source == "alertmanager"))
            ),
            timeout=30,
            what="Alertmanager's notification is an alert",
        )
        attempt = the_contact_was_reached(shell.system, paged.id)
        assert "Disk full on db1" in attempt.spoken_text
        manager.resolve(alert)
        wait_for(
            lambda: shell.system.read(lambda s: s.get(Alert, paged.id)).status == "resolved",  # type: ignore[union-attr]
            timeout=30,
            what="Alertmanager's resolved notification resolves it",
        )
    finally:
        manager.close()
