"""The domain overview: one box per domain on a grid shaped like a screen, edges carrying counts.

A force-directed or layered layout of a few dozen domains comes out as a long strip or a ring
with a mostly empty middle (the 515-table schema's overview was a hairball on an empty canvas).
Here the domains are placed on a grid whose columns are chosen so the picture's aspect ratio is
as near ASPECT (a 16:10 screen) as the boxes allow, and Graphviz only routes the edges
(`layout=neato` with every node pinned, `inputscale=72`: positions in points), so an exported
DOT file lays out the same way.

Which domain goes in which cell: a spectral embedding of the domain graph (the Laplacian's two
smallest non-trivial eigenvectors, numpy) puts domains with many foreign keys between them near
each other; its rows are then read off by height and each row by width. The unlinked tables,
which have no edge to place them by, take the last cell.
"""

from __future__ import annotations

import math
import re

import numpy as np

from studio.erd.domains import UNLINKED, Domain
from studio.erd.dot import svg_id
from studio.erd.escape import dot_string, html
from studio.erd.layout import TIMEOUT_SECONDS, has_dot, run_graphviz

ASPECT = 16 / 10  # width over height of the picture the grid aims at
GAP_X, GAP_Y = 70.0, 60.0  # points between boxes: room for edges and their counts
HEADER = "#334155"
MUTED = "#64748b"
FONT = "Helvetica"
SAMPLE = 3  # tables named under the domain's size when it names no leading ones


def undirected(edges: dict[tuple[str, str], int]) -> dict[tuple[str, str], tuple[int, int]]:
    """(a, b) with a < b -> (foreign keys from a to b, from b to a)."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for (a, b), count in edges.items():
        if a == b:
            continue
        key = (a, b) if a < b else (b, a)
        forward, backward = out.get(key, (0, 0))
        out[key] = (forward + count, backward) if key == (a, b) else (forward, backward + count)
    return out


def node_label(domain: Domain) -> str:
    sample = ", ".join(t.partition(".")[2] for t in domain.leading or domain.tables[:SAMPLE])
    sample += ", …" if len(domain.tables) > len(domain.leading or domain.tables[:SAMPLE]) else ""
    size = f"{len(domain.tables):,} table{'s' if len(domain.tables) != 1 else ''}"
    how = {"prefix": "name prefix", "schema": "schema", "table": "most referenced"}.get(domain.named_by, "")
    about = f'<FONT POINT-SIZE="8" COLOR="{MUTED}"> · {how}</FONT>' if how else ""
    return (
        '<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="#94a3b8">'
        f'<TR><TD BGCOLOR="{HEADER}"><FONT COLOR="white"><B>{html(domain.name)}</B></FONT></TD></TR>'
        f"<TR><TD><B>{size}</B>{about}</TD></TR>"
        f'<TR><TD><FONT POINT-SIZE="8" COLOR="{MUTED}">{html(sample)}</FONT></TD></TR>'
        "</TABLE>>"
    )


def _nodes(domains) -> list[str]:
    return [f'  d{i} [id="{svg_id(i, "d")}", label={node_label(d)}];' for i, d in enumerate(domains)]


def box_sizes(domains) -> list[tuple[float, float]]:
    """Each domain box's (width, height) in points, as Graphviz sizes it (estimated without Graphviz)."""
    if not has_dot() or not domains:
        return [_estimate(d) for d in domains]
    text = "\n".join(["digraph sizes {", f'  node [shape=plaintext, fontname="{FONT}", fontsize=10, margin=0];',
                      *_nodes(domains), "}"])
    plain = run_graphviz("dot", ["-Tplain"], text, TIMEOUT_SECONDS, what="the domain overview")
    sizes: dict[int, tuple[float, float]] = {}
    for line in plain.decode("utf-8", "replace").splitlines():
        match = re.match(r"node d(\d+) \S+ \S+ (\S+) (\S+)", line)
        if match:
            sizes[int(match.group(1))] = (float(match.group(2)) * 72, float(match.group(3)) * 72)
    return [sizes.get(i) or _estimate(d) for i, d in enumerate(domains)]


def _estimate(domain: Domain) -> tuple[float, float]:
    sample = ", ".join(t.partition(".")[2] for t in domain.leading or domain.tables[:SAMPLE]) + ", …"
    return max(7.0 * len(domain.name), 5.0 * len(sample), 120.0) + 10, 62.0


def embedding(n: int, weights: dict[tuple[int, int], float]) -> np.ndarray:
    """(n, 2) coordinates putting strongly linked domains near each other; deterministic."""
    if n <= 2:
        return np.array([[float(i), 0.0] for i in range(n)]).reshape(n, 2)
    w = np.zeros((n, n))
    for (a, b), weight in weights.items():
        w[a, b] += weight
        w[b, a] += weight
    # a faint link between every pair keeps the graph connected (disconnected domains, the unlinked)
    floor = (w[w > 0].mean() if (w > 0).any() else 1.0) * 1e-3
    w += floor * (1 - np.eye(n))
    laplacian = np.diag(w.sum(axis=1)) - w
    _, vectors = np.linalg.eigh(laplacian)
    coords = vectors[:, 1:3].copy()
    for k in range(2):  # an eigenvector's sign is arbitrary: fix it
        pivot = np.argmax(np.abs(coords[:, k]))
        if coords[pivot, k] < 0:
            coords[:, k] *= -1
    return coords


def grid(order: list[int], sizes: list[tuple[float, float]], coords: np.ndarray,
         last: list[int]) -> dict[int, tuple[float, float]]:
    """Centre of each box (points, y up as Graphviz has it) on the grid nearest ASPECT."""
    count = len(order) + len(last)
    best = None
    for columns in range(1, count + 1):
        rows = _rows(order, coords, columns)
        if last:
            if rows and len(rows[-1]) < columns:
                rows[-1] = rows[-1] + last
            else:
                rows.append(list(last))
        widths = [0.0] * columns
        for row in rows:
            for c, i in enumerate(row):
                widths[c] = max(widths[c], sizes[i][0])
        heights = [max(sizes[i][1] for i in row) for row in rows]
        width = sum(widths) + GAP_X * (columns - 1)
        height = sum(heights) + GAP_Y * (len(rows) - 1)
        miss = abs(math.log(width / height / ASPECT))
        if best is None or miss < best[0] - 1e-9:
            best = (miss, rows, widths, heights)
    _, rows, widths, heights = best
    centres: dict[int, tuple[float, float]] = {}
    top = sum(heights) + GAP_Y * (len(rows) - 1)
    y = top
    for row, height in zip(rows, heights, strict=True):
        x = 0.0
        for c, i in enumerate(row):
            centres[i] = (x + widths[c] / 2, y - height / 2)
            x += widths[c] + GAP_X
        y -= height + GAP_Y
    return centres


def _rows(order: list[int], coords: np.ndarray, columns: int) -> list[list[int]]:
    by_height = sorted(order, key=lambda i: (-coords[i, 1], coords[i, 0], i))
    rows = [by_height[k:k + columns] for k in range(0, len(by_height), columns)]
    return [sorted(row, key=lambda i: (coords[i, 0], i)) for row in rows]


def positions(domains, links: dict[tuple[str, str], tuple[int, int]]) -> dict[int, tuple[float, float]]:
    index = {d.name: i for i, d in enumerate(domains)}
    weights = {(index[a], index[b]): math.log2(1 + f + b_) for (a, b), (f, b_) in links.items()
               if a in index and b in index}
    coords = embedding(len(domains), weights)
    last = [i for i, d in enumerate(domains) if d.name == UNLINKED]
    order = [i for i in range(len(domains)) if i not in last]
    return grid(order, box_sizes(domains), coords, last)


def overview_dot(domains, edges: dict[tuple[str, str], int]) -> str:
    """One box per domain (its name, what the name is, its size, a few tables), one edge per linked pair."""
    links = undirected(edges)
    centres = positions(domains, links)
    index = {d.name: i for i, d in enumerate(domains)}
    lines = [
        "digraph domains {",
        f'  graph [fontname="{FONT}", fontsize=11, pad=0.3, bgcolor="white", layout=neato, inputscale=72, '
        'splines=true, overlap=true, sep="+4"];',
        f'  node [shape=plaintext, fontname="{FONT}", fontsize=10, margin=0];',
        f'  edge [fontname="{FONT}", fontsize=9, color="#475569", fontcolor="#0f172a", dir=none];',
    ]
    for i, line in enumerate(_nodes(domains)):
        x, y = centres[i]
        lines.append(line[:-2] + f', pos="{x:.1f},{y:.1f}!"];')
    for (a, b), (forward, backward) in sorted(links.items()):
        if a not in index or b not in index:
            continue
        total = forward + backward
        about = "; ".join(f"{n} from {x} to {y}" for n, x, y in ((forward, a, b), (backward, b, a)) if n)
        tooltip = dot_string(f"{total} foreign key{'s' if total != 1 else ''}: {about}")
        lines.append(
            f'  d{index[a]} -> d{index[b]} [label="{total}", penwidth={1 + math.log2(total):.1f}, tooltip={tooltip}];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
