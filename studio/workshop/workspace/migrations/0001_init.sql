-- The workspace store: one row per workspace, one row per version of its content.
-- A workspace's head is the number of its newest version; saving compares and bumps it.
CREATE TABLE workspace (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    source_kind   text NOT NULL,          -- dsn | ddl | demo
    source_label  text NOT NULL,          -- a URL WITHOUT password, a file name, or "demo"
    source_ddl    text,                   -- the uploaded DDL itself, for a file source
    catalog_json  text NOT NULL,          -- Catalog.to_json() at the time it was analyzed
    head          integer NOT NULL DEFAULT 1 CHECK (head >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL
);

CREATE TABLE workspace_version (
    workspace_id  text NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    author        text NOT NULL,
    summary       text NOT NULL,
    content       jsonb NOT NULL,         -- {"name", "decisions" (design.toml), "items": {key: record}}
    restored_from integer,
    PRIMARY KEY (workspace_id, version)
);
