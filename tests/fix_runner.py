"""Running a finding's fix the way a DBA would paste it: statements with CONCURRENTLY alone (they cannot
run in a transaction block), the others grouped in one transaction."""

from __future__ import annotations

from studio.sources import embedded
from studio.sources.ddl_script import split


def batches(fix: str) -> list[tuple[bool, list[str]]]:
    """Consecutive statements grouped: (concurrent?, statements)."""
    out: list[tuple[bool, list[str]]] = []
    for statement in split(fix):
        if statement.is_meta or not statement.sql.strip():
            continue
        concurrent = "CONCURRENTLY" in statement.sql.upper()
        if out and not concurrent and not out[-1][0]:
            out[-1][1].append(statement.sql)
        else:
            out.append((concurrent, [statement.sql]))
    return out


def apply_fix(database: str, fix: str) -> None:
    with embedded.connect(database) as conn:
        for concurrent, statements in batches(fix):
            if concurrent:
                conn.execute(statements[0])
            else:
                with conn.transaction():
                    for sql in statements:
                        conn.execute(sql)
