"""The workshop: a review session over one schema and what it decided.

`agenda` orders findings and open design questions and records each item's decision; `adr` writes
those records as architecture decision records; `workspace` stores decisions, notes and their
versions in PostgreSQL.
"""
