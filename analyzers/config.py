"""Analysis configuration: which rules run, at what severity, and what is knowingly accepted.

The configuration lives in `pyproject.toml` under `[tool.schema-studio]`, or at the top level
of a `schema-studio.toml`. `schema-studio analyze --config FILE` names the file; otherwise
`schema-studio.toml`, then `pyproject.toml` (when it has a `[tool.schema-studio]` table), is
read from the current directory. Every key is optional::

    [tool.schema-studio]
    disable = ["json-instead-of-jsonb"]          # rule ids that never run
    tenant_column = "tenant_id"                  # the column naming a row's tenant
    tenant_table = "public.tenants"              # default: a table called tenants/tenant
    natural_keys = ["reference", "policy_no"]    # more column names that identify a row
    growing_tables = ["public.events"]           # 4-byte keys here are worth a look
    cascade_threshold = 5                        # ON DELETE CASCADE reach worth reporting

    [tool.schema-studio.severity]                # override a rule's severity
    "redundant-index" = "warning"

    [[tool.schema-studio.suppress]]              # accept one finding, with a reason
    rule = "no-primary-key"
    object = "public.audit_log"                  # a table, or table.column
    reason = "append-only log, replicated by a tool that does not need a key"

Unknown keys, unknown rule ids, bad severities and suppressions without a reason are
errors naming the file and the key. A suppression that matches nothing is reported.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from analyzers.context import Settings
from analyzers.engine import AnalysisConfig, Suppression
from analyzers.families import all_rules
from analyzers.registry import SEVERITIES
from studio.errors import ConfigError

FILE_NAMES = ("schema-studio.toml", "pyproject.toml")
KEYS = {
    "disable",
    "severity",
    "suppress",
    "tenant_column",
    "tenant_table",
    "natural_keys",
    "growing_tables",
    "cascade_threshold",
}
SUPPRESS_KEYS = {"rule", "object", "reason"}


def discover(directory: Path | None = None) -> Path | None:
    """The configuration file in `directory` (default: the current one), if there is one."""
    directory = directory or Path.cwd()
    own = directory / "schema-studio.toml"
    if own.is_file():
        return own
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and "schema-studio" in _read(pyproject).get("tool", {}):
        return pyproject
    return None


def load(path: str | Path | None = None, *, directory: Path | None = None) -> AnalysisConfig:
    """The configuration from `path`, or the discovered file, or the defaults."""
    if path is None:
        path = discover(directory)
        if path is None:
            return AnalysisConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found; check the --config path")
    data = _read(path)
    if path.name == "pyproject.toml" or "tool" in data:
        data = data.get("tool", {}).get("schema-studio")
        if data is None:
            raise ConfigError(
                f"{path}: has no [tool.schema-studio] table; add one or point --config elsewhere"
            )
    return parse(data, origin=str(path))


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None


def parse(data: dict, origin: str = "configuration") -> AnalysisConfig:
    """Validate a `[tool.schema-studio]` table and build the AnalysisConfig it describes."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a table of settings")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ConfigError(f"{origin}: unknown key {unknown[0]!r}; known keys are {', '.join(sorted(KEYS))}")
    known = set(all_rules())

    def rule_id(value, key: str) -> str:
        if not isinstance(value, str) or value not in known:
            raise ConfigError(
                f"{origin}: {key}: unknown rule id {value!r}; `schema-studio analyze --list-rules` lists them"
            )
        return value

    disabled = frozenset(rule_id(r, "disable") for r in _strings(data, "disable", origin))

    severity = data.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f'{origin}: severity must be a table of rule-id = "error|warning|info"')
    overrides = []
    for rid, level in severity.items():
        rule_id(rid, "severity")
        if level not in SEVERITIES:
            raise ConfigError(f"{origin}: severity.{rid}: {level!r} is not one of {', '.join(SEVERITIES)}")
        overrides.append((rid, level))

    suppressions = []
    entries = data.get("suppress", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{origin}: suppress must be an array of tables ([[suppress]])")
    for n, entry in enumerate(entries, 1):
        where = f"{origin}: suppress #{n}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table with rule, object and reason")
        extra = sorted(set(entry) - SUPPRESS_KEYS)
        if extra:
            raise ConfigError(f"{where}: unknown key {extra[0]!r}; use rule, object and reason")
        for key in ("rule", "object", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{where}: {key} is required (a non-empty string)")
        if "." not in entry["object"]:
            raise ConfigError(
                f"{where}: object {entry['object']!r} must be schema-qualified: public.t or public.t.col"
            )
        suppressions.append(
            Suppression(rule_id(entry["rule"], "suppress"), entry["object"], entry["reason"].strip())
        )

    threshold = data.get("cascade_threshold", Settings.cascade_threshold)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise ConfigError(f"{origin}: cascade_threshold must be a positive integer")
    settings = Settings(
        tenant_column=_string(data, "tenant_column", origin) or Settings.tenant_column,
        tenant_table=_string(data, "tenant_table", origin),
        natural_key_names=tuple(_strings(data, "natural_keys", origin)),
        growing_tables=tuple(_strings(data, "growing_tables", origin)),
        cascade_threshold=threshold,
    )
    return AnalysisConfig(
        settings=settings, disabled=disabled, severity=tuple(overrides), suppressions=tuple(suppressions)
    )


def _string(data: dict, key: str, origin: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"{origin}: {key} must be a non-empty string")
    return value


def _strings(data: dict, key: str, origin: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{origin}: {key} must be an array of strings")
    return value
