"""Session state of the studio: the one loaded Source, and how it is loaded or replaced.

Every page reads `current()`. Loading another source replaces it and clears every session key
that starts with `SOURCE_SCOPED_PREFIX`, so pages keep per-source state (selections, drafts)
under that prefix and never show one schema's choices against another. `generation()` changes
with each load, for keys of widgets that must reset.

Database handles live in `st.cache_resource`: the demo is loaded once per server process; an
uploaded file once per content (its sandbox database is dropped when evicted). A live database is
read afresh on every Load, since it changes.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import PurePath

import streamlit as st

from studio.catalog import Catalog
from studio.sources import Source, ddl, embedded, file_source, open_source
from studio.ui.components import show_error

SOURCE_KEY = "studio.source"
GENERATION_KEY = "studio.source_generation"
DEMO_TRIED_KEY = "studio.demo_tried"
SOURCE_SCOPED_PREFIX = "source."
UPLOAD_CACHE_ENTRIES = 8

log = logging.getLogger("studio.ui")


def current() -> Source | None:
    return st.session_state.get(SOURCE_KEY)


def catalog() -> Catalog | None:
    source = current()
    return source.catalog if source else None


def generation() -> int:
    return st.session_state.get(GENERATION_KEY, 0)


def replace(source: Source) -> None:
    """Make `source` the studio's source; forget everything the previous one left in the session."""
    for key in [k for k in st.session_state if str(k).startswith(SOURCE_SCOPED_PREFIX)]:
        del st.session_state[key]
    st.session_state[SOURCE_KEY] = source
    st.session_state[GENERATION_KEY] = generation() + 1


# Loading ---------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def demo_source() -> Source:
    return open_source(demo=True)


def _release(source: Source) -> None:
    source.close()  # drops the sandbox database and role of an evicted upload


@st.cache_resource(show_spinner=False, max_entries=UPLOAD_CACHE_ENTRIES, on_release=_release)
def _uploaded(name: str, digest: str, _data: bytes) -> Source:
    return file_source(ddl.load_text(ddl.decode(_data, name), filename=name))


@st.cache_resource(show_spinner=False)
def housekeeping() -> None:
    """Once per studio process: drop sandboxes that studios which died left behind."""
    try:
        dropped = embedded.sweep_stale()
    except Exception:  # housekeeping must never stop the studio from opening
        log.warning("could not sweep stale sandbox databases", exc_info=True)
        return
    if dropped:
        log.info("dropped %d stale sandbox databases", len(dropped))


def upload_limit_mb() -> int:
    return max(1, ddl.max_bytes() // (1024 * 1024))


def uploaded_source(name: str, data: bytes) -> Source:
    """A Source for an uploaded DDL file, loaded into a sandbox database (once per content)."""
    safe_name = PurePath(name.replace("\\", "/")).name or "upload.sql"
    return _uploaded(safe_name, hashlib.sha256(data).hexdigest(), data)


def live_source(url: str) -> Source:
    return open_source(dsn=url)


def ensure_default_source() -> None:
    """On a session's first run, open the demo (with progress); later runs keep what is loaded."""
    if current() is not None or st.session_state.get(DEMO_TRIED_KEY):
        return
    housekeeping()

    slot = st.empty()
    with slot.status("Loading the demo schema into the embedded PostgreSQL…", expanded=False) as status:
        try:
            replace(demo_source())
        except Exception as exc:
            # Only a real failure stops the retries: a rerun that interrupts the load (Streamlit raises
            # a BaseException for it) must try again on the next run, or the session starts empty.
            st.session_state[DEMO_TRIED_KEY] = True
            status.update(label="The demo could not be loaded", state="error", expanded=True)
            show_error(exc, "Loading the demo")
            return
    slot.empty()  # loaded: the page itself says so
