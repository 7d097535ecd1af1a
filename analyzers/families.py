"""Importing this module registers every built-in rule family."""

# data: the needs="data" rules, run by analyzers.data.run_data_checks
# workload: the needs="workload" rules, run by analyzers.workload.run_workload
from analyzers import data, indexes, keys, normalization, security, tenancy, types, workload  # noqa: F401
