"""Name heuristics shared by rules, the ERD and the data checks.

Real schemas spell things many ways: `customer_id`, `customerid`, `"CustomerId"`, tables
`customer`, `customers`, `"Customer"`, `categories`, `boxes`. Matching is done on a folded
form: lower case without underscores, so `"CustomerId"` and `customer_id` meet.
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=65536)
def fold(name: str) -> str:
    return name.lower().replace("_", "")


@functools.lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """English singular of a (lower-case) table name or its last word; good enough for schemas."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if re.search(r"(ss|x|z|ch|sh)es$", w):
        return w[:-2]
    if w.endswith("ses") and len(w) > 4:  # statuses, addresses handled above; buses -> bus
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


@functools.lru_cache(maxsize=65536)
def plural_forms(stem: str) -> tuple[str, ...]:
    """The table names a `<stem>_id` column may point at: stem, stems, stemes, stemies."""
    s = stem.lower()
    forms = [s, s + "s", s + "es"]
    if s.endswith("y") and len(s) > 1:
        forms.append(s[:-1] + "ies")
    return tuple(dict.fromkeys(forms))


def last_word(name: str) -> str:
    """`warranty_claims` -> `claims`; `WarrantyClaims` -> `claims`."""
    parts = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name) if not name.islower() else name.split("_")
    parts = [p for p in parts if p]
    return parts[-1].lower() if parts else name.lower()


_NOT_REFERENCES = {"uuid", "guid", "oid", "xid", "pid", "paid", "valid", "void", "rfid", "said"}
_ID_SUFFIX = re.compile(r"^(?P<stem>.+?)_?id$", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)
def id_stem(column: str) -> str | None:
    """`customer_id` / `customerid` / `CustomerId` -> `customer`; `id`, `uuid` -> None."""
    m = _ID_SUFFIX.match(column)
    if not m:
        return None
    stem = m.group("stem").rstrip("_")
    if not stem or column.lower() in _NOT_REFERENCES:
        return None
    return stem


@functools.lru_cache(maxsize=65536)
def words(name: str) -> tuple[str, ...]:
    """Split snake_case or CamelCase into lower-case words."""
    if "_" in name or name.islower() or name.isupper():
        return tuple(w.lower() for w in re.split(r"[_\W]+", name) if w)
    return tuple(w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name))
