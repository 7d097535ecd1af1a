-- The workspace list is shown newest first.
CREATE INDEX workspace_created_at ON workspace (created_at DESC);
