"""Current vs design target -> steps (filled in below)."""

from __future__ import annotations


def plan_design(catalog, decisions, builder):
    return [], []
