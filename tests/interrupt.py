"""Interrupting a migration script half-way, the way a DBA's cancel or a lost connection would."""

from __future__ import annotations

import threading
import time

import psycopg

from studio.bundle.verify import ScriptFailed, run_script


def interrupted(db, script, holder_sql: str, params=(), notices: list[str] | None = None) -> Exception:
    """Run `script` while another session holds `holder_sql`'s uncommitted lock; cancel the script once it waits
    for it. Returns the script's failure (the test fails if it finished without being interrupted)."""
    holder = psycopg.connect(db.url)
    holder.execute(holder_sql, params)
    failure: list[Exception] = []

    def run():
        try:
            run_script(db.url, script.up, script.up_name, notices if notices is not None else [])
        except ScriptFailed as exc:
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        for _ in range(600):  # until the script waits for the held lock
            waiting = db.query("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DO $%'")
            if waiting:
                db.query("SELECT pg_cancel_backend(%s)", (waiting[0][0],))
                break
            time.sleep(0.05)
        worker.join(60)
    finally:
        holder.rollback()
        holder.close()
    assert failure and "canceling statement" in str(failure[0]), f"{script.up_name} was not interrupted"
    return failure[0]
