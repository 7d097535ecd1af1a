-- Run on its own, outside a transaction, after everything else: someone tried to enforce
-- unique invoice numbers without locking the table, and the build failed on the duplicates
-- already there, leaving an invalid index behind (indisvalid = false). A DDL file cannot
-- reproduce this state, so only the loaded demo database has it.
CREATE UNIQUE INDEX CONCURRENTLY invoices_invoice_number_key ON billing.invoices (tenant_id, invoice_number);
