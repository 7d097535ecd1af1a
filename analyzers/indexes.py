"""indexes rules."""

from analyzers.registry import rule  # noqa: F401
