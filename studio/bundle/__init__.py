"""The migration bundle: `manifest` writes and checks the zip with its MANIFEST of sha256 sums,
`verify` proves a bundle on a scratch copy (ups, re-analysis, row counts, downs).
"""
