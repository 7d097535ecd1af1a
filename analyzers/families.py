"""Importing this module registers every built-in rule family."""

from analyzers import indexes, keys, normalization, security, tenancy, types  # noqa: F401
