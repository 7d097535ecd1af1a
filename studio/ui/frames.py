"""The Overview page's tables as DataFrames (pandas stays out of `studio.summary`, which every CLI command
imports): numbers stay numbers, sizes in bytes, so every column sorts."""

from __future__ import annotations

import pandas as pd

from studio.catalog import Catalog
from studio.summary import SCHEMA_COLUMNS, TABLE_LIST_COLUMNS, schema_counts, table_rows


def schema_frame(catalog: Catalog):
    """Per-schema counts as a DataFrame (size in bytes, so it sorts)."""
    frame = pd.DataFrame([c.as_row() for c in schema_counts(catalog)], columns=list(SCHEMA_COLUMNS))
    return frame.astype({"est. rows": "Int64", "size": "Int64"})


def table_frame(catalog: Catalog):
    """The table list as a DataFrame: numbers stay numbers (size in bytes) so every column sorts."""
    frame = pd.DataFrame(table_rows(catalog), columns=list(TABLE_LIST_COLUMNS))
    return frame.astype({"est. rows": "Int64", "size": "Int64"})
