"""Every built-in rule family, registered by importing its module: `all_rules()` is the whole catalog.

The schema rules run in `analyzers.engine.analyze`, the needs="data" rules (`analyzers.data`) in
`analyzers.data_run.run_data_checks`, the needs="workload" rules (`analyzers.workload`) in
`analyzers.workload_run.run_workload`.
"""

from __future__ import annotations

from analyzers import data, indexes, keys, normalization, security, tenancy, types, workload  # noqa: F401
from analyzers.registry import REGISTRY, Rule


def all_rules() -> dict[str, Rule]:
    return dict(REGISTRY)
