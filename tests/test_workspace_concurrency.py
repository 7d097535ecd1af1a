"""20 concurrent writers on one workspace: every change is stored or reported as a conflict.

Each writer saves on the version it read; on a conflict it merges its change into the newer head
and tries again, counting every conflict. At the end the store must hold every writer's item,
the version count must equal the stores that succeeded, and nothing may be missing.
"""

from __future__ import annotations

import threading

import pytest

from studio.catalog import Catalog
from studio.workshop.workspace import Conflict, Store, rebase
from studio.workshop.workspace.model import changes_between

WRITERS = 20
EDITS_PER_WRITER = 3


@pytest.fixture(scope="module")
def store():
    from studio.sources import embedded

    with embedded.scratch_database("test") as name:
        yield Store(embedded.admin_url(name))


def test_one_shot_writers_on_one_base_one_wins_the_rest_conflict(store):
    ws = store.create("race", source_kind="demo", source_label="demo", catalog_json=Catalog().to_json(), author="x")
    barrier = threading.Barrier(WRITERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        barrier.wait()
        try:
            store.save(ws.id, 1, {"items": {f"w{n}": {"notes": f"from {n}"}}}, f"writer {n}", "note")
            result = f"stored {n}"
        except Conflict:
            result = f"conflict {n}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = [o for o in outcomes if o.startswith("stored")]
    assert len(outcomes) == WRITERS
    assert len(stored) == 1, outcomes
    winner = stored[0].split()[1]
    head = store.get(ws.id)
    assert head.head == 2 and set(head.items) == {f"w{winner}"}


def test_writers_that_merge_on_conflict_lose_nothing(store):
    ws = store.create("merge race", source_kind="demo", source_label="demo", catalog_json=Catalog().to_json(), author="x")
    barrier = threading.Barrier(WRITERS)
    stats = {"stored": 0, "conflicts": 0, "errors": []}
    lock = threading.Lock()

    def writer(n: int) -> None:
        barrier.wait()
        for edit in range(EDITS_PER_WRITER):
            base = store.get(ws.id)
            changes = {"items": {f"w{n}-{edit}": {"notes": f"writer {n} edit {edit}"}}}
            while True:
                try:
                    store.save(ws.id, base.version, changes, f"writer {n}", f"edit {edit}")
                except Conflict:
                    with lock:
                        stats["conflicts"] += 1
                    head = store.get(ws.id)
                    merged = rebase(base.content, changes, head.content)
                    assert merged.conflicts == ()  # every writer touches its own items
                    changes, base = changes_between(head.content, merged.merged), head
                    continue
                except Exception as exc:  # any other failure is a lost change: report it
                    with lock:
                        stats["errors"].append(repr(exc))
                    return
                with lock:
                    stats["stored"] += 1
                break

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stats["errors"] == []
    final = store.get(ws.id)
    expected = {f"w{n}-{e}" for n in range(WRITERS) for e in range(EDITS_PER_WRITER)}
    assert set(final.items) == expected
    assert stats["stored"] == WRITERS * EDITS_PER_WRITER
    assert final.head == 1 + stats["stored"]  # every stored change is exactly one version
    assert len(store.history(ws.id)) == final.head
    assert stats["conflicts"] > 0  # the writers really raced
    print(f"\n{WRITERS} writers x {EDITS_PER_WRITER} edits: {stats['stored']} stored, {stats['conflicts']} conflicts")
