"""The rule reference, generated from the registry: `python -m analyzers.docs > docs/rules.md`.

Each rule documents itself (id, severity, category, title, explanation, bad and good
examples), so this page can never drift from the code; a test checks it is current.
"""

from __future__ import annotations

from analyzers.families import all_rules
from analyzers.registry import CATEGORIES

HEADER = """# Rules

Generated from the rule registry by `python -m analyzers.docs > docs/rules.md`; do not edit by hand.
The ids are a public contract (CLI output, SARIF, suppressions). `needs`: `schema` rules read only the
model, `data` rules read rows (`--data`), `workload` rules read queries (`--queries`).
"""


def render() -> str:
    rules = all_rules()
    out = [HEADER, "| id | severity | category | needs | title |", "|---|---|---|---|---|"]
    ordered = sorted(rules.values(), key=lambda r: (CATEGORIES.index(r.category), r.id))
    out += [f"| [`{r.id}`](#{r.id}) | {r.severity} | {r.category} | {r.needs} | {r.title} |" for r in ordered]
    for r in ordered:
        out += ["", f"## {r.id}", "", f"**{r.title}** · {r.severity} · {r.category} · needs {r.needs}", "", r.explanation]
        for label, example in (("Bad", r.bad), ("Good", r.good)):
            if example:
                out += ["", f"{label}:", "", "```sql", example, "```"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
