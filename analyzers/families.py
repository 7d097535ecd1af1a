"""Importing this module registers every built-in rule family."""

# data: the needs="data" rules, run by analyzers.data.run_data_checks
from analyzers import data, indexes, keys, normalization, security, tenancy, types  # noqa: F401
