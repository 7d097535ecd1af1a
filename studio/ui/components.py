"""Small UI helpers shared by the pages: escaping, errors shown as one line, the notes panel.

Nothing user-supplied (identifiers, file names, messages quoting them) ever reaches Streamlit as
HTML: markdown-rendering calls get `md()`-escaped text; tables go through dataframes.
"""

from __future__ import annotations

import contextlib
import logging
import re

import pandas as pd
import streamlit as st

from studio.errors import StudioError
from studio.summary import note_counts, note_rows

log = logging.getLogger("studio.ui")

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
# also disarms Streamlit's own syntax (`:red[...]`, `:material/...:`, `$...$` LaTeX).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~:$=\"'^])")


def md(text: object) -> str:
    """`text` escaped so Streamlit's markdown shows it verbatim (one line: newlines become spaces)."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def first_line(message: object) -> str:
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0] if lines else ""


def show_error(exc: BaseException, action: str) -> None:
    """One clear line: a StudioError's own message, else a short note (the traceback goes to the log)."""
    if isinstance(exc, StudioError):
        st.error(md(first_line(exc) or f"{action} failed"), icon=":material/error:")
        return
    log.error("%s failed", action, exc_info=exc)
    st.error(
        md(f"{action} failed unexpectedly ({type(exc).__name__}); the details are in the studio's log."),
        icon=":material/error:",
    )


@contextlib.contextmanager
def guarded(action: str):
    """Run a block; show any error as one line instead of a traceback, and carry on with the page.

    Streamlit's own control flow (st.rerun, st.stop) derives from BaseException and passes through.
    """
    try:
        yield
    except Exception as exc:
        show_error(exc, action)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def notes_banner(notes, failures=()) -> None:
    """Above a page: how many notes the source left and how many statements PostgreSQL rejected, always shown."""
    if not notes:
        return
    counts = ", ".join(f"{n} {level}" for level, n in note_counts(notes).items())
    if failures:
        st.error(f"{plural(len(failures), 'statement')} of the file failed: the model lacks what they create. "
                 f"Loading notes: {counts}.", icon=":material/error:")
    else:
        st.warning(f"Loading notes: {counts}. Read them before trusting the model.", icon=":material/sticky_note_2:")
    notes_panel(notes, expanded=bool(failures))


def notes_panel(notes, *, expanded: bool = False) -> None:
    """The source's notes (skipped, approximated, refused), per object and line, with level counts."""
    if not notes:
        return
    counts = note_counts(notes)
    label = "Loading notes: " + ", ".join(f"{n} {level}" for level, n in counts.items())
    with st.expander(label, expanded=expanded, icon=":material/sticky_note_2:"):
        st.caption("What the source skipped, approximated or could not read, object by object.")

        frame = pd.DataFrame(note_rows(notes), columns=["level", "line", "object", "message"])
        frame = frame.astype({"line": "Int64"})
        st.dataframe(
            frame,
            hide_index=True,
            placeholder="",
            column_config={
                "level": st.column_config.TextColumn("Level", width="small"),
                "line": st.column_config.NumberColumn("Line", format="%d", width="small"),
                "object": st.column_config.TextColumn("Object"),
                "message": st.column_config.TextColumn("Message", width="large"),
            },
        )
