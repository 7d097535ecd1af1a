"""Sizes as people read them, in PostgreSQL's units (pg_size_pretty's bytes, kB, MB, GB, TB; 1 kB = 1024 bytes)."""

from __future__ import annotations

_UNITS = ("bytes", "kB", "MB", "GB", "TB")


def human_bytes(n: float | None) -> str:
    """`n` bytes as '1,023 bytes', '1.0 kB' ... '5.0 GB'; '?' when unknown (a table never analyzed)."""
    if n is None:
        return "?"
    size = float(n)
    for unit in _UNITS:
        if abs(size) < 1024 or unit == _UNITS[-1]:
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
