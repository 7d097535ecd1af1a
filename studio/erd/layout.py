"""Server-side layout: DOT to SVG or PNG through Graphviz `dot`, with a timeout."""

from __future__ import annotations

import shutil
import subprocess

from studio.errors import StudioError

# Every diagram the page or CLI draws lays out in a few seconds (bench/erd.py: 1,000 tables in
# about 1 s); one that does not is too large to read anyway, so fail soon with what to do instead.
TIMEOUT_SECONDS = 20
TOO_LARGE = (
    "Graphviz took more than {seconds:g} s to lay out {what}: draw less of it: one table and its "
    "neighbours (--focus SCHEMA.TABLE --depth 1; on the ERD page, Find a table), one domain "
    "(--domain NAME) or the domain overview (--overview)"
)
MISSING = (
    "Graphviz `dot` is not installed, so the diagram cannot be laid out here: install the graphviz package "
    "(apt-get install graphviz / brew install graphviz), or export DOT, Mermaid, DBML or text instead"
)


def dot_binary() -> str | None:
    return shutil.which("dot")


def has_dot() -> bool:
    return dot_binary() is not None


def render(dot: str, fmt: str = "svg", timeout: float = TIMEOUT_SECONDS, dpi: int = 110, what: str = "the diagram") -> bytes:
    """Lay out DOT text with Graphviz and return the SVG or PNG bytes (`what` names the diagram in errors)."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"layout format {fmt!r}: svg or png")
    binary = dot_binary()
    if binary is None:
        raise StudioError(MISSING)
    command = [binary, f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if fmt == "png" else [])
    try:
        done = subprocess.run(command, input=dot.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StudioError(TOO_LARGE.format(seconds=timeout, what=what)) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StudioError(f"Graphviz could not lay out the diagram: {message[-1] if message else 'no message'}")
    return done.stdout
