"""A customer's template renders in a cage: another process with its own time and memory
limits, so no template can stall or bloat the server (issue 17, finding 1).

Before: the sandbox's 0.2 s limit fired only between Python steps. `{% set l=[1]*20000 %}{{
[l]*20000 }}` is one C call (str() of a nested list) that took 36.6 s and 1.17 GB in the
server's own process, holding every other tenant's requests.
"""

from __future__ import annotations

import json
import os
import resource
import time

import pytest
from fastapi.testclient import TestClient

from tests.messages.bombs import ISSUES_BOMB, behind_an_if, deep_comparison
from tocsin.app import create_app
from tocsin.core.cage import CageLimits
from tocsin.messages import (
    MessageContext,
    TemplateProblem,
    caged,
    check_template,
    render_message,
    render_worker,
)
from tocsin.messages.caged import RESTING_SECONDS, TemplateCage, TemplateStopped
from tocsin.runtime import Runtime

CONTEXT = MessageContext(
    endpoint="Production",
    title="Disk full on db1",
    message="",
    severity="critical",
    source="generic",
    payload={"boom": True},
)
DEFAULT_WORDS = "Alert from Production. Severity critical. Disk full on db1."


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_issues_bomb_at_a_tenth_of_its_size_neither_stalls_nor_bloats_the_server() -> None:
    """In-process this one took 4 s and 160 MB."""
    bomb = "{% if payload.boom %}{% set l = [1] * 20000 %}{{ [l] * 2000 }}{% endif %}"
    peak = peak_mib()
    started = time.monotonic()
    rendered = render_message(bomb, CONTEXT, max_characters=600)
    assert time.monotonic() - started < 1.0
    assert rendered.text == DEFAULT_WORDS
    assert rendered.problem
    assert peak_mib() - peak < 64


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        (ISSUES_BOMB, "grew past 20000 characters"),
        # Lists written out are measured before they are built, however they were made.
        ("{% set s = 'x' * 10000 %}{% set l = [s, s, s] %}{{ l }}", "longer than a call"),
        ("{% set s = 'x' * 10000 %}{% set l = [s, s, s] %}{{ l|upper }}", "longer than a call"),
        ("{% set s = 'x' * 10000 %}{{ [[s, s], [s, s]]|sum(start=[]) }}", "longer than a call"),
        ("{{ (('9' * 4000)|int) ** 64 }}", "grew past 20000 characters"),
        ("{{ 'x'.encode() * 300000000 }}", "unsafe"),
    ],
)
def test_the_obvious_bombs_are_refused_when_saved_without_being_built(
    template: str, refusal: str
) -> None:
    peak = peak_mib()
    with pytest.raises(TemplateProblem, match=refusal):
        check_template(template)
    assert peak_mib() - peak < 64


def test_a_bomb_the_sandbox_cannot_see_is_stopped_and_the_call_says_the_default_words() -> None:
    template = behind_an_if(deep_comparison())
    assert check_template(template) == "Disk full on db1"  # the sample has no `boom`
    peak = peak_mib()
    started = time.monotonic()
    rendered = render_message(template, CONTEXT, max_characters=600)
    took = time.monotonic() - started
    assert rendered.text == DEFAULT_WORDS
    assert rendered.problem == "the template was stopped: it took longer than 1 s"
    assert 1.0 <= took < 2.5
    assert peak_mib() - peak < 64

    # Until it has rested, the same template is not tried again: no wait at all.
    started = time.monotonic()
    again = render_message(template, CONTEXT, max_characters=600)
    assert time.monotonic() - started < 0.1
    assert again.text == DEFAULT_WORDS
    assert again.problem == (
        "the template was stopped: it took longer than 1 s; it is not tried again until 5 "
        "minutes have passed"
    )


def test_a_stopped_template_is_tried_again_once_it_has_rested() -> None:
    now = [1000.0]
    cage = TemplateCage(CageLimits(seconds=0.3, workers=1), now=lambda: now[0])
    template = behind_an_if(deep_comparison())
    calm = MessageContext(endpoint="P", title="Calm", message="", severity="info", source="generic")
    try:
        with pytest.raises(TemplateStopped, match=r"took longer than 0\.3 s"):
            cage.render(template, CONTEXT)
        now[0] += RESTING_SECONDS - 1
        with pytest.raises(TemplateStopped, match="not tried again"):
            cage.render(template, calm)
        now[0] += 1
        assert cage.render(template, calm) == "Calm"
    finally:
        cage.close()


def test_words_said_once_are_remembered_and_need_no_worker() -> None:
    cage = TemplateCage(CageLimits(workers=1))
    try:
        assert cage.render("{{ title }}!", CONTEXT) == "Disk full on db1!"
        cage.close()
        assert cage.render("{{ title }}!", CONTEXT) == "Disk full on db1!"
        assert cage.pids() == []
    finally:
        cage.close()


def test_ordinary_templates_reuse_the_running_workers() -> None:
    caged.TEMPLATES.start()
    workers = set(caged.TEMPLATES.pids())
    for number in range(5):
        context = MessageContext(
            endpoint="Production", title=f"Disk {number}", message="", severity="critical",
            source="generic",
        )  # fmt: skip
        assert render_message("{{ title }} is full", context, max_characters=600).text == (
            f"Disk {number} is full"
        )
    assert set(caged.TEMPLATES.pids()) == workers


def test_the_longest_text_in_the_widest_characters_fits_the_reply() -> None:
    widest = "{{ '\U0001f6a8' * 19999 }}"  # a police light, 4 bytes in UTF-8
    text = caged.TEMPLATES.render(widest, CONTEXT)
    assert text == "\U0001f6a8" * 19999


def test_a_worker_out_of_memory_says_so_rather_than_dying(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def greedy(*args: object, **kwargs: object) -> str:
        raise MemoryError

    monkeypatch.setattr(render_worker, "render_text", greedy)
    context = {"endpoint": "P", "title": "t", "message": "", "severity": "info", "source": "x"}
    request = json.dumps({"template": "{{ title }}", "context": context}).encode()
    assert json.loads(render_worker.handle(request)) == {"out_of_memory": True}


def test_the_servers_shutdown_ends_the_template_workers_it_warmed(runtime: Runtime) -> None:
    """`tocsin serve` ends by raising its signal again, so no exit handler of the process
    runs: its app's shutdown closes the workers (which would otherwise only see their input
    close when it dies)."""
    with TestClient(create_app(runtime, owns_process=True)):
        workers = caged.TEMPLATES.pids()
        assert len(workers) == caged.TEMPLATES.limits.workers
    assert caged.TEMPLATES.pids() == []
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
