"""Server-side layout: DOT to SVG or PNG through Graphviz `dot`, with a timeout.

Graphviz's programs run through `run_graphviz`, not the `graphviz` Python package: its pipe() and
unflatten() (0.21) take no timeout, and a layout that never ends must fail soon with what to do.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Callable

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
    return run_graphviz("dot", [f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if fmt == "png" else []), dot, timeout, what)


def run_graphviz(program: str, args: list[str], dot: str, timeout: float = TIMEOUT_SECONDS,
                 what: str = "the diagram") -> bytes:
    """The output of the Graphviz `program` (dot, unflatten) over DOT text, within `timeout` seconds."""
    binary = shutil.which(program)
    if binary is None:
        raise StudioError(MISSING)
    try:
        done = subprocess.run([binary, *args], input=dot.encode("utf-8"), capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise StudioError(TOO_LARGE.format(seconds=timeout, what=what)) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StudioError(f"Graphviz could not lay out {what}: {message[-1] if message else 'no message'}")
    return done.stdout


# The picture's shape -------------------------------------------------------------------------------
#
# A layered layout of a schema with many tables per rank, or many small unconnected parts (which
# `dot` stacks along one side), comes out as a strip (coder's 76 tables: 2,300 x 7,200 points). When
# the first layout's aspect ratio is outside MIN_ASPECT..MAX_ASPECT, Graphviz's own `unflatten`
# staggers the leaves over several ranks (2, 4, then about the square root of the table count, so
# a hub's hundred children spread over ten ranks) and wraps chains of unconnected tables (-l, -c), and the
# other rank direction is tried; the layout nearest ASPECT within the bounds is kept. A picture long
# along its ranks (a chain of references 150 tables deep: 22,000 x 2,300 points) is first wrapped:
# its ranks cut into bands laid side by side (studio/erd/bands.py). (`pack` on a
# `dot` graph with clusters and ports crashes Graphviz 2.43, so unconnected parts cannot be packed
# by dot itself.)

ASPECT = 16 / 10
MIN_ASPECT, MAX_ASPECT = 1 / 3, 3.0
_SIZE = re.compile(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def svg_size(svg: bytes | str) -> tuple[float, float]:
    """(width, height) in points of a Graphviz SVG."""
    data = svg.encode() if isinstance(svg, str) else svg
    match = _SIZE.search(data)
    return (float(match.group(1)), float(match.group(2))) if match else (0.0, 0.0)


def aspect(svg: bytes | str) -> float:
    width, height = svg_size(svg)
    return width / height if height else 1.0


def within(ratio: float) -> bool:
    return MIN_ASPECT <= ratio <= MAX_ASPECT


def unflattened(dot: str, leaves: int, chain: int, timeout: float = TIMEOUT_SECONDS) -> str | None:
    if shutil.which("unflatten") is None:
        return None
    return run_graphviz("unflatten", ["-f", "-l", str(leaves), "-c", str(chain)], dot, timeout).decode("utf-8") or None


def flipped(dot: str) -> str:
    return re.sub(r"rankdir=(LR|TB)", lambda m: "rankdir=" + ("TB" if m.group(1) == "LR" else "LR"), dot, count=1)


def shape_candidates(dot: str, ratio: float, wrap: Callable[..., str] | None = None):
    """Other ways to lay out the same DOT, mildest first; `wrap(bands=n)` is the same diagram with its
    ranks wrapped into n bands (tried first when the picture is long along its ranks)."""
    along_ranks = ratio / ASPECT if "rankdir=LR" in dot else ASPECT / ratio
    if wrap is not None and along_ranks > 1:
        fewest = max(2, math.ceil(math.sqrt(along_ranks)))
        for bands in range(fewest, fewest + 3):
            yield wrap(bands=bands)
    root = math.ceil(math.sqrt(max(1, dot.count("[id="))))
    for leaves in sorted({2, 4, root, 2 * root}):
        staggered = unflattened(dot, leaves, 2 * leaves)
        if staggered:
            yield staggered
    yield flipped(dot)
    staggered = unflattened(flipped(dot), 3, 6)
    if staggered:
        yield staggered


def render_shaped(dot: str, fmt: str = "svg", timeout: float = TIMEOUT_SECONDS, what: str = "the diagram",
                  wrap: Callable[..., str] | None = None) -> bytes:
    """As `render`, re-laid out when the picture's aspect ratio is outside MIN_ASPECT..MAX_ASPECT."""
    svg = render(dot, "svg", timeout, what=what)
    best_dot, best = dot, svg
    if not within(aspect(svg)) and "layout=" not in dot:
        for candidate in shape_candidates(dot, aspect(svg), wrap):
            tried = render(candidate, "svg", timeout, what=what)
            if _miss(tried) < _miss(best):
                best_dot, best = candidate, tried
            if within(aspect(tried)):
                break
    return best if fmt == "svg" else render(best_dot, fmt, timeout, what=what)


def _miss(svg: bytes) -> float:
    ratio = aspect(svg)
    return (0.0 if within(ratio) else 10.0) + abs(math.log(ratio / ASPECT))


# Unconnected parts side by side ------------------------------------------------------------------
#
# `dot` lines unconnected parts up along one side (30 three-table parts: 5,000 x 450 points). Each
# part is laid out on its own (one Graphviz run for all of them: `dot` reads several graphs), then
# the parts are packed in rows, tallest first, rows as wide as makes the whole near ASPECT, and
# nested in one SVG. The click targets keep working: each node's id is the diagram-wide one.

PART_GAP = 24.0  # points between parts
_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_ROOT = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def render_parts(drawers: list[Callable[..., str]], timeout: float = TIMEOUT_SECONDS,
                 what: str = "the diagram") -> bytes:
    """The SVG of several DOT graphs packed side by side in rows; each drawer gives its part's DOT,
    `drawer(bands=n)` with its ranks wrapped (see render_shaped)."""
    dots = [draw() for draw in drawers]
    text = render("".join(dots), "svg", timeout, what=what).decode("utf-8")
    pieces = [p for p in re.split(r"(?=<\?xml )", text) if p.strip()]
    if len(pieces) != len(dots):
        raise StudioError(f"Graphviz returned {len(pieces)} pictures for the {len(dots)} parts of {what}")
    for i, (dot, piece) in enumerate(zip(dots, pieces, strict=True)):
        if not within(aspect(piece)):
            pieces[i] = render_shaped(dot, "svg", timeout, what=what, wrap=drawers[i]).decode("utf-8")
    sizes = [svg_size(p) for p in pieces]
    area = sum((w + PART_GAP) * (h + PART_GAP) for w, h in sizes)
    row_width = max(max(w for w, _ in sizes), math.sqrt(area * ASPECT))
    placed, x, y, row_height, width = [], 0.0, 0.0, 0.0, 0.0
    for i in sorted(range(len(pieces)), key=lambda i: (-sizes[i][1], i)):
        w, h = sizes[i]
        if x > 0 and x + w > row_width:
            x, y, row_height = 0.0, y + row_height + PART_GAP, 0.0
        placed.append((i, x, y))
        x += w + PART_GAP
        row_height = max(row_height, h)
        width = max(width, x - PART_GAP)
    height = y + row_height
    out = [
        f'<svg width="{width:.0f}pt" height="{height:.0f}pt" viewBox="0 0 {width:.2f} {height:.2f}" '
        'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    ]
    for i, px, py in placed:
        body = _PROLOG.sub("", pieces[i], count=1)
        body = _ROOT.sub(lambda m, px=px, py=py: f'<svg x="{px:.2f}" y="{py:.2f}" width="{m.group(1)}" '
                         f'height="{m.group(2)}"', body, count=1)
        out.append(body)
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")
