"""Reading and projecting a schema's rows: `profile` (row counts, NULL fractions, distinct estimates),
`volumes` (growth projections, index sizes, partitioning candidates), `job` (data checks in a
background thread).
"""
