"""Outgoing webhooks go to public https URLs only (issue 19's acceptance: "never sent to a
private address"): refused when a webhook is saved, whatever form the address takes, and again
at send time after the DNS lookup of every attempt, so a name that resolved to a public address
when it was saved and to a private one later (DNS rebinding) reaches nothing.

The refusals are those of `telephony.hosts.HostPolicy`, the one host rule every request to a
customer's address obeys; webhooks get it without the operator's provider allowlist, and no
setting can widen it."""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from fastapi.testclient import TestClient

from tests.factories import ok
from tests.outgoing.conftest import send
from tests.outgoing.receiver import Receiver
from tests.outgoing.rows import PUBLIC_ADDRESS, deliveries, fire, subscribe
from tests.rows import tenant_rows
from tocsin.core.config import Settings
from tocsin.engine.worker import Worker
from tocsin.outgoing.urls import WebhookUrlRefused, check_webhook_url
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy

# What a hostile name may resolve to: loopback, RFC 1918, the cloud metadata service, IPv6
# loopback, IPv4-mapped IPv6 loopback, NAT64 of 10.x, unique-local IPv6, and a public address
# with a private one beside it.
PRIVATE_ANSWERS = [
    ["127.0.0.1"],
    ["10.0.0.7"],
    ["169.254.169.254"],
    ["::1"],
    ["::ffff:127.0.0.1"],
    ["64:ff9b::a00:7"],
    ["fd00::1"],
    [PUBLIC_ADDRESS, "192.168.1.10"],
]


def resolving(answers: list[str]) -> HostPolicy:
    return HostPolicy(resolver=lambda host, port: answers)


@pytest.mark.parametrize("answers", PRIVATE_ANSWERS, ids=lambda answers: ",".join(answers))
def test_a_name_resolving_to_a_private_address_is_refused_when_saved(answers: list[str]) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        check_webhook_url(resolving(answers), "https://hooks.example.com/tocsin")
    assert refused.value.code == "webhook_url_not_allowed"
    assert refused.value.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook",  # 169.254.169.254, mapped
        "https://[fe80::1%25eth0]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://2130706433/hook",  # 127.0.0.1 as one number: judged by what it resolves to
        "https://localhost/hook",
    ],
)
def test_an_address_literal_or_local_name_that_is_not_public_is_refused(url: str) -> None:
    # The system's own resolver: literals and localhost need no network.
    with pytest.raises(WebhookUrlRefused):
        check_webhook_url(HostPolicy(), url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/tocsin", "https"),
        ("ftp://hooks.example.com/tocsin", "https"),
        ("https://user:pass@hooks.example.com/tocsin", "user name or password"),
        ("https://token@hooks.example.com/tocsin", "user name or password"),
        ("https://hooks.example.com:22/tocsin", "port"),
        ("https://hooks.example.com:80/tocsin", "port"),
        ("https://hooks.example.com:0/tocsin", "port"),
        ("https://hooks.example.com:99999/tocsin", "not a URL"),
        ("https:///tocsin", "host"),
        ("https://hooks.example.com/to csin", "spaces"),
        ("https://hooks.example.com/\ttocsin", "spaces"),
        ("https://hooks.example.com/" + "a" * 2100, "2048"),
    ],
)
def test_a_url_of_the_wrong_shape_is_refused_before_any_lookup(url: str, why: str) -> None:
    looked_up: list[str] = []
    policy = HostPolicy(resolver=lambda host, port: looked_up.append(host) or [PUBLIC_ADDRESS])
    with pytest.raises(WebhookUrlRefused) as refused:
        check_webhook_url(policy, url)
    assert why in refused.value.message
    assert looked_up == []


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/tocsin",
        "https://hooks.example.com:443/tocsin?token=abc",
        "https://hooks.example.com:8443/tocsin",
        "  https://HOOKS.example.com/tocsin  ",
        "HTTPS://hooks.example.com/tocsin",
    ],
)
def test_a_public_https_url_is_taken(url: str) -> None:
    assert check_webhook_url(resolving([PUBLIC_ADDRESS]), url) == url.strip()


@pytest.mark.parametrize("answers", PRIVATE_ANSWERS, ids=lambda answers: ",".join(answers))
def test_a_name_that_turns_private_after_it_was_saved_is_never_sent_to(
    runtime: Runtime, receiver: Receiver, worker: Worker, answers: list[str]
) -> None:
    """DNS rebinding: public when saved, private at send time. The receiver listens on
    127.0.0.1; the server's own policy (public hosts only) stands between it and the worker."""
    tenant = tenant_rows(runtime)
    answer = [PUBLIC_ADDRESS]
    rebinding = HostPolicy(resolver=lambda host, port: answer)
    made = subscribe(runtime, tenant.org_id, url=receiver.url(), policy=rebinding)
    receiver.secrets = [made.secret]
    answer[:] = answers
    runtime.webhook_hosts = rebinding  # the server's rule, public hosts only, with this DNS
    fire(runtime, tenant.endpoint_id, {"title": "Disk full"})
    assert send(runtime.build_worker()) == 1
    assert receiver.received == []
    [delivery] = deliveries(runtime)
    assert delivery.status == "pending"  # DNS may change back: tried again later
    assert delivery.last_error == "not sent: the host resolved to an address that is not public"
    assert delivery.last_status_code is None


def test_the_same_delivery_reaches_the_receiver_once_its_test_seam_allows_it(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    """The control for the test above: what stood between was the host rule, nothing else."""
    tenant = tenant_rows(runtime)
    made = subscribe(runtime, tenant.org_id, url=receiver.url(), policy=receiver.policy)
    receiver.secrets = [made.secret]
    fire(runtime, tenant.endpoint_id, {"title": "Disk full"})
    assert send(worker) == 1
    assert [got.signed_with for got in receiver.received] == [made.secret]


def test_webhooks_do_not_take_the_operators_provider_allowlist(runtime: Runtime) -> None:
    """The tests' settings let providers reach 127.0.0.1 (the operator's allowlist); webhooks
    are held to public hosts all the same, and no setting exists that would widen that."""
    assert runtime.provider_hosts.allowlist.allows_address(ip_address("127.0.0.1"))
    assert runtime.webhook_hosts.allowlist.networks == ()
    assert runtime.webhook_hosts.allowlist.names == frozenset()
    with pytest.raises(WebhookUrlRefused):
        check_webhook_url(runtime.webhook_hosts, "https://127.0.0.1:8443/hook")
    assert runtime.webhook_tls is None  # the system's trust store
    sending = runtime.worker_settings().webhooks
    assert sending is not None
    assert sending.hosts is runtime.webhook_hosts
    widening = [
        name
        for name in Settings.model_fields
        if name.startswith(("webhook", "outgoing")) or "private" in name
    ]
    assert widening == []


def test_the_api_refuses_a_private_address_with_422(runtime: Runtime, client: TestClient) -> None:
    tenant = tenant_rows(runtime)
    for url in ("https://169.254.169.254/latest/meta-data/", "https://[::1]:8443/", "http://x.y/"):
        refused = client.post(
            f"/v1/orgs/{tenant.org_id}/webhooks",
            json={"name": "Sneaky", "url": url, "events": ["created"]},
            headers=tenant.auth,
        )
        assert refused.status_code == 422, url
        assert refused.json()["error"]["code"] == "webhook_url_not_allowed"
    assert ok(client.get(f"/v1/orgs/{tenant.org_id}/webhooks", headers=tenant.auth)) == {
        "items": []
    }
