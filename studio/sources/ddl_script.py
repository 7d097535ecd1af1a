"""Split an SQL script into statements the way psql would, without running psql.

Handles quoted identifiers, standard and E'' strings, dollar quoting ($$, $tag$), `--` and
nested `/* */` comments, parentheses (CREATE RULE ... DO (a; b)), SQL-standard function
bodies (BEGIN ATOMIC ... END), `COPY ... FROM stdin` followed by data up to `\\.`, and psql
meta-commands (a backslash outside quotes, up to the end of the line). Every statement
carries the line where it starts. `skip_quoted` is the one reading of PostgreSQL's quoting and
comments; the workload reader uses it too (to tell code from strings when it rewrites parameters).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    sql: str  # without the terminating semicolon; for a meta-command the whole `\cmd args` text
    line: int  # 1-based line of its first character
    copy_data: str | None = None  # the data lines of COPY ... FROM stdin
    is_meta: bool = False

    @property
    def meta_command(self) -> str:
        """`\\c`, `\\set`, ... for a meta-command (lower case), '' otherwise."""
        if not self.is_meta:
            return ""
        return re.match(r"\\[^\s\\]*", self.sql).group(0).lower()


_INTERESTING = re.compile(r"[-/'\"$;\\()]")
_NON_SPACE = re.compile(r"\S")
_STANDARD_STRING = re.compile(r"(?:[^']|'')*'", re.S)
_ESCAPE_STRING = re.compile(r"(?:[^'\\]|\\.|'')*'", re.S)
_QUOTED_IDENT = re.compile(r'(?:[^"]|"")*"', re.S)
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$")
_COMMENT_TOKEN = re.compile(r"/\*|\*/")
_COPY_FROM_STDIN = re.compile(r"\ACOPY\b.*\bFROM\s+STDIN\b", re.I | re.S)
_COPY_END = re.compile(r"^\\\.\r?$", re.M)
_ATOMIC = re.compile(r"\bBEGIN\s+ATOMIC\b", re.I)
_BLOCK_OPEN = re.compile(r"\b(?:BEGIN|CASE)\b", re.I)
_BLOCK_CLOSE = re.compile(r"\bEND\b", re.I)


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


class _Lines:
    def __init__(self, text: str):
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def of(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1


def _unfinished_atomic_body(sql: str) -> bool:
    if not _ATOMIC.search(sql):
        return False
    return len(_BLOCK_OPEN.findall(sql)) > len(_BLOCK_CLOSE.findall(sql))


def skip_quoted(text: str, j: int) -> int | None:
    """Where the string, quoted identifier, dollar-quoted text or comment starting at `j` ends (the end
    of the text when unterminated; a `--` comment ends before its newline); None when none starts there.

    E'' strings take backslash escapes, standard strings do not (standard_conforming_strings);
    a dollar-quote tag is an identifier without `$` (letters beyond ASCII too), not after an
    identifier character (`a$b$` is a name, `$1` a parameter); `/* */` comments nest."""
    ch = text[j]
    if ch == "-" and text.startswith("--", j):
        end = text.find("\n", j)
        return len(text) if end < 0 else end
    if ch == "/" and text.startswith("/*", j):
        return _skip_block_comment(text, j)
    if ch == "'":
        escaped = j > 0 and text[j - 1] in "eE" and (j < 2 or not _is_ident_char(text[j - 2]))
        sm = (_ESCAPE_STRING if escaped else _STANDARD_STRING).match(text, j + 1)
        return sm.end() if sm else len(text)
    if ch == '"':
        qm = _QUOTED_IDENT.match(text, j + 1)
        return qm.end() if qm else len(text)
    if ch == "$" and not (j > 0 and _is_ident_char(text[j - 1])) and (tm := _DOLLAR_TAG.match(text, j)):
        close = text.find(tm.group(0), tm.end())
        return len(text) if close < 0 else close + len(tm.group(0))
    return None


def split(text: str) -> list[Statement]:
    lines = _Lines(text)
    out: list[Statement] = []
    n = len(text)
    i = 0
    start: int | None = None  # where the pending statement's first character is
    depth = 0

    def begin_if_needed(upto: int) -> None:
        nonlocal start
        if start is None:
            m = _NON_SPACE.search(text, i, upto)
            if m:
                start = m.start()

    while i < n:
        m = _INTERESTING.search(text, i)
        if not m:
            begin_if_needed(n)
            break
        j = m.start()
        ch = text[j]
        begin_if_needed(j)
        if text.startswith(("--", "/*"), j):
            i = skip_quoted(text, j)
            continue
        if ch == "\\":
            end = text.find("\n", j)
            end = n if end < 0 else end
            meta = text[j:end].rstrip()
            if start is not None and re.match(r"\\g(?![a-z])", meta):
                out.append(Statement(text[start:j].rstrip(), lines.of(start)))
                start = None
            out.append(Statement(meta, lines.of(j), is_meta=True))
            i = end
            continue
        if start is None:
            start = j
        if ch in "'\"$":
            end = skip_quoted(text, j)
            i = j + 1 if end is None else end
        elif ch == "(":
            depth += 1
            i = j + 1
        elif ch == ")":
            depth = max(0, depth - 1)
            i = j + 1
        elif ch == ";" and depth == 0:
            sql = text[start:j]
            if _unfinished_atomic_body(sql):
                i = j + 1
                continue
            statement_line = lines.of(start)
            start = None
            i = j + 1
            if _COPY_FROM_STDIN.match(sql):
                data, i = _copy_data(text, j)
                out.append(Statement(sql, statement_line, copy_data=data))
            else:
                out.append(Statement(sql, statement_line))
        else:
            i = j + 1
    if start is not None:
        rest = text[start:].strip()
        if rest:
            out.append(Statement(rest, lines.of(start)))
    return out


def _skip_block_comment(text: str, j: int) -> int:
    depth = 0
    pos = j
    for m in _COMMENT_TOKEN.finditer(text, j):
        depth += 1 if m.group(0) == "/*" else -1
        pos = m.end()
        if depth == 0:
            return pos
    return len(text)


def _copy_data(text: str, semicolon: int) -> tuple[str, int]:
    """The data lines after a COPY FROM stdin (from the next line to `\\.`), and where to go on."""
    eol = text.find("\n", semicolon)
    if eol < 0:
        return "", len(text)
    m = _COPY_END.search(text, eol + 1)
    if not m:
        return text[eol + 1 :], len(text)
    return text[eol + 1 : m.start()], m.end()
