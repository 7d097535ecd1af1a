"""The workshop's decision log as architecture decision records, and a one-page workshop summary.

`decision_log(workspace)` and `workshop_summary(workspace)` read only the workspace (each item's
record carries what the item said when it was decided), so the bundle can include both.
Whatever people typed is HTML-escaped and kept inside quotes or tables, so the Markdown shows it
as text in any renderer.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from studio.workshop.agenda import DECISIONS, SEVERITIES, is_decided
from studio.workshop.workspace.model import Workspace

STATUS = {"accept": "Accepted", "reject": "Rejected", "defer": "Deferred"}


def _inline(text: object) -> str:
    """One line of user text, safe in Markdown prose: no HTML, no line structure, no table breaks."""
    flat = " ".join(str(text or "").split())
    return html.escape(flat, quote=False).replace("|", "\\|")


def _quoted(text: object) -> list[str]:
    lines = [html.escape(line.rstrip(), quote=False) for line in str(text or "").strip().splitlines()]
    return ["> " + line if line else ">" for line in lines] or ["> (none)"]


def _fenced(text: str, language: str = "") -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, text.rstrip("\n"), fence]


def _date(record: dict) -> str:
    return str(record.get("updated_at") or "")[:10] or "undated"


def decided(workspace: Workspace) -> list[tuple[str, dict]]:
    """Decided items in the order they were decided."""
    items = [(k, r) for k, r in workspace.items.items() if is_decided(r)]
    return sorted(items, key=lambda kr: (str(kr[1].get("updated_at") or ""), kr[0]))


def participants(workspace: Workspace) -> list[str]:
    names = list(workspace.participants)
    for _, record in workspace.items.items():
        for name in (record.get("owner"), record.get("author")):
            name = " ".join(str(name or "").split())
            if name and name not in names:
                names.append(name)
    return names


def decision_log(workspace: Workspace) -> str:
    out = [
        f"# Decision log: {_inline(workspace.name)}",
        "",
        f"Source: {_inline(workspace.source_label)} · workspace `{workspace.id}` version {workspace.version}",
        "",
    ]
    records = decided(workspace)
    if not records:
        out += ["No item has been decided yet.", ""]
    people = ", ".join(_inline(p) for p in participants(workspace)) or "not recorded"
    for number, (key, rec) in enumerate(records, 1):
        out += _adr(number, key, rec, people)
    return "\n".join(out).rstrip() + "\n"


def _adr(number: int, key: str, rec: dict, people: str) -> list[str]:
    decision = rec["decision"]
    out = [
        f"## ADR-{number:03d}: {_inline(rec.get('title') or key)}",
        "",
        f"- Status: {STATUS[decision]}",
        f"- Date: {_date(rec)}",
        f"- Participants: {people}",
        f"- Owner: {_inline(rec.get('owner')) or 'unassigned'}",
        f"- Recorded by: {_inline(rec.get('author')) or 'unknown'}",
        "",
        "### Context",
        "",
    ]
    facts = [f"{label} {_inline(rec.get(field))}" for label, field in
             (("Severity:", "severity"), ("Theme:", "theme"), ("Table:", "table"), ("Rule:", "rule"))
             if rec.get(field)]
    if facts:
        out += [" · ".join(facts), ""]
    out += [_inline(rec.get("context")) or "(no context recorded)", "", "### Options", ""]
    if rec.get("kind") == "finding":
        out += ["- Apply the proposed fix.", "- Keep the schema as it is and suppress the finding, with a reason.",
                "- Defer the decision.", ""]
    else:
        out += [f"- **{_inline(o.get('name'))}**: {_inline(o.get('tradeoffs'))}" for o in rec.get("options") or []]
        out.append("")
    out += ["### Decision", "", _decision_sentence(rec), ""]
    if rec.get("rationale"):
        out += ["Rationale:", "", *_quoted(rec.get("rationale")), ""]
    out += ["### Consequences", "", *_consequences(rec), ""]
    if str(rec.get("notes") or "").strip():
        out += ["### Notes", "", *_quoted(rec.get("notes")), ""]
    return out


def _decision_sentence(rec: dict) -> str:
    decision, option = rec["decision"], _inline(rec.get("option"))
    if rec.get("kind") == "finding":
        return {"accept": "The fix is accepted.", "reject": "The finding is rejected: the schema stays as it is.",
                "defer": "The decision is deferred."}[decision]
    if decision == "accept":
        return f"Chosen: **{option}**." if option else "Accepted."
    return {"reject": "Every option was rejected for now.", "defer": "The decision is deferred."}.get(decision, "")


def _consequences(rec: dict) -> list[str]:
    decision = rec["decision"]
    if rec.get("kind") == "finding":
        if decision == "accept":
            fix = str(rec.get("fix") or "").strip()
            lines = ["The fix joins the migration plan (accepted fixes in design.toml)."]
            return lines + (["", *_fenced(fix, "sql")] if fix else [])
        if decision == "reject":
            return ["The finding is suppressed in design.toml with the rationale as its reason; "
                    "the analyzer no longer reports it."]
        return ["Nothing changes yet; the owner brings it back to a later session."]
    if decision == "accept":
        chosen = next((o for o in rec.get("options") or [] if o.get("name") == rec.get("option")), None)
        return [_inline(chosen.get("tradeoffs")) if chosen else "Recorded in design.toml."]
    return ["Nothing changes yet." if decision == "defer" else "Today's design stays."]


def workshop_summary(workspace: Workspace) -> str:
    items = workspace.items
    counts = Counter(r.get("decision") for r in items.values() if is_decided(r))
    dates = sorted(_date(r) for r in items.values() if r.get("updated_at"))
    out = [
        f"# Workshop summary: {_inline(workspace.name)}",
        "",
        f"- Source: {_inline(workspace.source_label)}",
        f"- Dates: {dates[0]} to {dates[-1]}" if dates else "- Dates: no item recorded yet",
        f"- Participants: {', '.join(_inline(p) for p in participants(workspace)) or 'not recorded'}",
        f"- Items with notes or decisions: {len(items)}",
        "- Decisions: " + ", ".join(f"{counts.get(d, 0)} {STATUS[d].lower()}" for d in DECISIONS),
        "",
    ]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    ordered = sorted(items.items(), key=lambda kr: (kr[1].get("kind") != "finding",
                                                     rank.get(kr[1].get("severity"), 9), kr[1].get("theme") or "", kr[0]))
    if ordered:
        out += ["| Decision | Theme | Item | Owner | Rationale |", "|---|---|---|---|---|"]
        for key, rec in ordered:
            decision = STATUS.get(rec.get("decision"), "Open")
            if rec.get("option") and rec.get("decision") == "accept":
                decision += f": {_inline(rec.get('option'))}"
            out.append(
                f"| {decision} | {_inline(rec.get('theme'))} | {_inline(rec.get('title') or key)} "
                f"| {_inline(rec.get('owner'))} | {_inline(rec.get('rationale'))} |"
            )
        out.append("")
    deferred = [(k, r) for k, r in ordered if r.get("decision") == "defer"]
    if deferred:
        out += ["## Follow-ups", ""]
        out += [f"- {_inline(r.get('title') or k)} (owner: {_inline(r.get('owner')) or 'unassigned'})" for k, r in deferred]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
