"""User-facing errors: each message names the input and says what to do."""


class StudioError(Exception):
    """An error whose message is fit to show a user as it is (no traceback)."""


class SourceError(StudioError):
    """A database, DDL file or demo could not be read."""


class ConfigError(StudioError):
    """A configuration or decisions file is invalid."""
