"""Reading the statements of a finding's fix: identifiers, qualified names and column lists."""

from __future__ import annotations

import re

IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
QNAME = rf"{IDENT}(?:\s*\.\s*{IDENT})?"


def unquote(name: str) -> str:
    name = name.strip()
    if name.startswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def qualified_key(text: str, default_schema: str = "public") -> str:
    """`billing."Invoices"` -> `billing.Invoices` (the model's key)."""
    parts = re.findall(IDENT, text)
    names = [unquote(p) for p in parts]
    return ".".join(names) if len(names) == 2 else f"{default_schema}.{names[0]}"


def column_list(text: str) -> tuple[str, ...]:
    """`(tenant_id, "Invoice No")` -> ('tenant_id', 'Invoice No'); expressions stay None-free text."""
    inner = text.strip()
    if inner.startswith("("):
        inner = inner[1:-1]
    return tuple(unquote(part) for part in re.findall(IDENT, inner))


def match(pattern: str, sql: str):
    return re.match(pattern.replace("{Q}", QNAME).replace("{I}", IDENT), sql.strip(), re.I | re.S)
