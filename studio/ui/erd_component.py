"""The ERD viewer: a first-party `st.components.v2` component (inline HTML/CSS/JS, no build step).

It shows a Graphviz SVG with wheel zoom, drag pan and fit, highlights the selected node, and
sends a click on a table or domain node back to Python as the trigger value `select`
("table:<schema.table>" or "domain:<name>"). The SVG is parsed as XML (DOMParser), never run as
HTML, and Graphviz has already escaped every identifier in it. A note on a table or column (the
<title> of a `g.erd-note`) shows in the viewer's own tip on hover, set as text (textContent).

Also the details panel's HTML helpers (`breakable`, `heading_html`, `finding_html`): every
identifier and message is HTML-escaped before the only markup added, <wbr> and styled spans.
"""

from __future__ import annotations

import html
import re

import streamlit as st

HTML = """
<div class="erd-root">
  <div class="erd-toolbar">
    <button type="button" data-act="in" title="Zoom in">+</button>
    <button type="button" data-act="out" title="Zoom out">&minus;</button>
    <button type="button" data-act="fit" title="Fit the diagram">Fit</button>
    <span class="erd-hint">wheel: zoom · drag: pan · click a table: details</span>
  </div>
  <div class="erd-viewport" data-testid="erd-viewport"><div class="erd-canvas"></div>
    <div class="erd-tip" data-testid="erd-note-tip" hidden></div></div>
</div>
"""

CSS = """
.erd-root { display: flex; flex-direction: column; gap: 4px; font-family: sans-serif; }
.erd-toolbar { display: flex; gap: 6px; align-items: center; }
.erd-toolbar button { border: 1px solid #cbd5e1; background: white; border-radius: 4px; padding: 2px 10px;
  cursor: pointer; font-size: 14px; }
.erd-hint { color: #64748b; font-size: 12px; margin-left: 6px; }
.erd-viewport { position: relative; overflow: hidden; border: 1px solid #e2e8f0; border-radius: 6px;
  background: white; cursor: grab; touch-action: none; }
.erd-viewport.dragging { cursor: grabbing; }
.erd-canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
.erd-canvas g.node { cursor: pointer; }
.erd-canvas g.node:hover polygon { stroke: #0ea5e9; }
.erd-canvas g.node.erd-selected polygon:first-of-type { stroke: #0f766e; stroke-width: 4; }
.erd-tip { position: absolute; max-width: 360px; padding: 6px 8px; background: #0f172a; color: white;
  font-size: 12px; line-height: 1.4; border-radius: 4px; pointer-events: none; white-space: pre-wrap; z-index: 2; }
"""

JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const root = parentElement.querySelector('.erd-root');
  const viewport = root.querySelector('.erd-viewport');
  const canvas = root.querySelector('.erd-canvas');
  const state = root.__erd || (root.__erd = { svg: null, scale: 1, x: 0, y: 0, width: 0, height: 0 });
  viewport.style.height = (data.height || 640) + 'px';

  const apply = () => {
    canvas.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.scale})`;
  };
  // Table and domain boxes in diagram units (the legend and edges left out), from the layout.
  const boxes = () => {
    const shown = canvas.querySelector('svg');
    if (!shown) return [];
    const origin = shown.getBoundingClientRect();
    const out = [];
    for (const node of canvas.querySelectorAll('g.node')) {
      if (!(data.targets || {})[node.id]) continue;
      const r = node.getBoundingClientRect();
      if (!r.width) continue;
      out.push({ x: (r.left - origin.left) / state.scale, y: (r.top - origin.top) / state.scale,
                 w: r.width / state.scale, h: r.height / state.scale });
    }
    return out;
  };
  // The window of `ww` x `wh` diagram units holding the most whole boxes (ties: the most box
  // area), as the bounding box of those boxes. Windows start at a box's left and top edges.
  const densest = (all, ww, wh) => {
    const PAD = 8, step = Math.max(1, Math.ceil(all.length / 120));
    const anchors = all.filter((_, i) => i % step === 0);
    let best = null, bestCount = 0, bestArea = 0;
    for (const a of anchors) for (const b of anchors) {
      const left = a.x - PAD, top = b.y - PAD;
      let count = 0, area = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const n of all) {
        if (n.x < left || n.y < top || n.x + n.w > left + ww || n.y + n.h > top + wh) continue;
        count += 1; area += n.w * n.h;
        x0 = Math.min(x0, n.x); y0 = Math.min(y0, n.y); x1 = Math.max(x1, n.x + n.w); y1 = Math.max(y1, n.y + n.h);
      }
      if (count > bestCount || (count === bestCount && area > bestArea)) {
        bestCount = count; bestArea = area; best = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
      }
    }
    return best;
  };
  // Place `box` (diagram units) at the centre, keeping the diagram's edges at the viewport's
  // edges where it is larger than the viewport, and the diagram centred where it is smaller.
  const centreOn = (box, w, h) => {
    const place = (size, view, start, extent) => size * state.scale <= view
      ? (view - size * state.scale) / 2
      : Math.min(0, Math.max(view - size * state.scale, view / 2 - (start + extent / 2) * state.scale));
    state.x = place(state.width, w, box.x, box.w);
    state.y = place(state.height, h, box.y, box.h);
  };
  const fit = (whole) => {
    const w = viewport.clientWidth || 800, h = viewport.clientHeight || 600;
    if (!state.width || !state.height) return;
    // The Fit button shows the whole diagram however small. The first view shows it whole only
    // when that is readable (READABLE scale or more); otherwise it zooms to the diagram's width
    // if that is readable, else to READABLE, and centres the densest part: the viewport-sized
    // window holding the most whole tables (the top-left corner is often a legend or space).
    const READABLE = 0.8;
    const all = Math.min(w / state.width, h / state.height, 1.5);
    if (whole || all >= READABLE) {
      state.scale = all;
      centreOn({ x: 0, y: 0, w: state.width, h: state.height }, w, h);
      apply();
      return;
    }
    const found = boxes();
    state.scale = Math.min(1.5, Math.max(READABLE, w / state.width));
    const best = found.length ? densest(found, w / state.scale, h / state.scale) : null;
    centreOn(best || { x: 0, y: 0, w: 0, h: 0 }, w, h);
    apply();
  };
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(8, Math.max(0.05, state.scale * factor));
    const k = next / state.scale;
    state.x = cx - (cx - state.x) * k;
    state.y = cy - (cy - state.y) * k;
    state.scale = next;
    apply();
  };

  if (state.svg !== data.svg) {
    state.svg = data.svg;
    state.revealed = null;
    const parsed = new DOMParser().parseFromString(data.svg || '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml');
    const svg = parsed.documentElement;
    canvas.replaceChildren(document.importNode(svg, true));
    const shown = canvas.querySelector('svg');
    const box = shown.viewBox && shown.viewBox.baseVal;
    state.width = (box && box.width) || shown.width.baseVal.value || 800;
    state.height = (box && box.height) || shown.height.baseVal.value || 600;
    shown.setAttribute('width', state.width);
    shown.setAttribute('height', state.height);
    for (const title of shown.querySelectorAll('g.node > title, g.edge > title, g.graph > title')) title.remove();
    // A note's <title> (studio/erd/dot.py note_titles) becomes the viewer's own tip: shown as text
    for (const title of shown.querySelectorAll('g.erd-note > title')) {
      title.parentNode.setAttribute('data-erd-note', title.textContent);
      title.remove();
    }
    requestAnimationFrame(() => fit(false));
    fit(false);
  }

  const targets = data.targets || {};
  let selectedNode = null;
  for (const node of canvas.querySelectorAll('g.node')) {
    const target = targets[node.id];
    const selected = !!target && target === data.selected;
    node.classList.toggle('erd-selected', selected);
    if (selected) selectedNode = node;
    if (target) node.setAttribute('data-erd-target', target);
  }

  // A newly selected table that is off-screen (or only partly shown) is panned to the centre,
  // after the first fit of a new SVG has run (two frames: fit is scheduled on the next one).
  const reveal = (node) => {
    const r = node.getBoundingClientRect(), v = viewport.getBoundingClientRect();
    if (!v.width || !r.width) return;
    if (r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom) return;
    state.x += (v.left + v.width / 2) - (r.left + r.width / 2);
    state.y += (v.top + v.height / 2) - (r.top + r.height / 2);
    apply();
  };
  if (selectedNode && state.revealed !== data.selected) {
    state.revealed = data.selected;
    requestAnimationFrame(() => requestAnimationFrame(() => reveal(selectedNode)));
  }

  if (!root.__erdBound) {
    root.__erdBound = true;
    let drag = null;
    viewport.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = viewport.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    viewport.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, ox: state.x, oy: state.y, moved: false };
    });
    viewport.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) { drag.moved = true; viewport.setPointerCapture(e.pointerId); viewport.classList.add('dragging'); }
      state.x = drag.ox + dx; state.y = drag.oy + dy; apply();
    });
    const end = (e) => {
      const wasDrag = drag && drag.moved;
      drag = null;
      viewport.classList.remove('dragging');
      if (wasDrag || e.type !== 'pointerup') return;
      const node = e.target.closest && e.target.closest('g.node');
      const target = node && node.getAttribute('data-erd-target');
      if (target) root.__erdSend(target);
    };
    const tip = root.querySelector('.erd-tip');
    viewport.addEventListener('pointermove', (e) => {
      const noted = !drag && e.target.closest && e.target.closest('[data-erd-note]');
      if (!noted) { tip.hidden = true; return; }
      const r = viewport.getBoundingClientRect();
      tip.textContent = noted.getAttribute('data-erd-note');
      tip.style.left = Math.min(e.clientX - r.left + 14, Math.max(0, r.width - 370)) + 'px';
      tip.style.top = (e.clientY - r.top + 16) + 'px';
      tip.hidden = false;
    });
    viewport.addEventListener('pointerleave', () => { tip.hidden = true; });
    viewport.addEventListener('pointerup', end);
    viewport.addEventListener('pointercancel', end);
    root.querySelector('.erd-toolbar').addEventListener('click', (e) => {
      const act = e.target.getAttribute && e.target.getAttribute('data-act');
      const w = viewport.clientWidth / 2, h = viewport.clientHeight / 2;
      if (act === 'in') zoomAt(1.25, w, h);
      else if (act === 'out') zoomAt(1 / 1.25, w, h);
      else if (act === 'fit') fit(true);
    });
  }
  root.__erdSend = (target) => setTriggerValue('select', target);
}
"""

_viewer = st.components.v2.component("schema_studio.erd_viewer", html=HTML, css=CSS, js=JS)


def erd_viewer(svg: str, targets: dict[str, str], *, selected: str | None = None, height: int = 640,
               key: str = "erd_viewer") -> str | None:
    """Show the SVG; return "table:<name>" or "domain:<name>" on the run after a click, else None."""
    result = _viewer(
        key=key,
        data={"svg": svg, "targets": targets, "selected": selected, "height": height},
        on_select_change=lambda: None,
    )
    return getattr(result, "select", None)


# Identifiers in the details panel ------------------------------------------------------------------

_BREAK_AFTER = re.compile(r"([_.])(?=\w)")
SEVERITY_STYLES = {
    "error": ("#b91c1c", "#fee2e2"),
    "warning": ("#b45309", "#fef3c7"),
    "info": ("#1d4ed8", "#dbeafe"),
}


def breakable(text: str) -> str:
    """`text` HTML-escaped, with a line-break opportunity (<wbr>) after each underscore or dot inside
    a word: a long identifier in a narrow panel wraps at its parts ("customer_" / "name") instead
    of mid-word, and copying it still gives the identifier (a <wbr> adds no character)."""
    return _BREAK_AFTER.sub(r"\1<wbr>", html.escape(str(text), quote=True))


def heading_html(text: str) -> str:
    return f'<h3 style="margin:0;padding:0.25rem 0;line-height:1.25">{breakable(text)}</h3>'


def finding_html(severity: str, message: str, explanation: str | None = None) -> str:
    """One finding: a severity badge and the message; the explanation shows on hover."""
    colour, tint = SEVERITY_STYLES.get(severity, ("#334155", "#f1f5f9"))
    title = f' title="{html.escape(explanation, quote=True)}"' if explanation else ""
    badge = (
        f'<span style="color:{colour};background:{tint};border-radius:0.25rem;padding:0 0.35rem;'
        f'font-size:0.85em;margin-right:0.35rem">{html.escape(severity)}</span>'
    )
    return f'<div{title} style="margin:0 0 0.5rem 0;line-height:1.45">{badge}{breakable(message)}</div>'
