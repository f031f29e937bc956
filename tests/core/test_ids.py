"""Ids sort by creation, also within one millisecond: two audit events written in the same
transaction at the same `now` (a case opened, then updated) must come back in that order
(a case's history flickered when the second id's random part was the smaller)."""

from __future__ import annotations

import threading

from tocsin.core.ids import new_id


def test_ids_made_one_after_another_sort_in_that_order() -> None:
    made = [new_id("aud") for _ in range(5000)]  # far more than one per millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_ids_from_several_threads_are_unique_and_each_threads_own_are_ordered() -> None:
    results: dict[int, list[str]] = {}

    def make(n: int) -> None:
        results[n] = [new_id("job") for _ in range(2000)]

    threads = [threading.Thread(target=make, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [made for batch in results.values() for made in batch]
    assert len(set(every)) == len(every)
    assert all(batch == sorted(batch) for batch in results.values())


def test_an_id_has_its_prefix_and_26_characters_after_it() -> None:
    prefix, body = new_id("org").split("_")
    assert (prefix, len(body)) == ("org", 26)
