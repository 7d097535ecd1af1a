-- Row level security and the constraints that come after the rows.
--
-- Tenant isolation: every tenant table has RLS enabled and forced (so the owning role is
-- bound too) and one policy comparing tenant_id with the app.tenant_id setting, which the
-- application sets per transaction: SET LOCAL app.tenant_id = '42'.

-- Payments were recorded against invoices that were later purged, so the foreign key could
-- only be added without checking the existing rows.
ALTER TABLE billing.payments
    ADD CONSTRAINT payments_invoice_fkey FOREIGN KEY (tenant_id, invoice_id)
    REFERENCES billing.invoices (tenant_id, id) NOT VALID;

ALTER TABLE public.shops ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.shops FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.shops
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.users
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.customers
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.equipment_units ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.equipment_units FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.equipment_units
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.equipment_unit_attributes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.equipment_unit_attributes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.equipment_unit_attributes
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.work_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.work_orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.work_orders
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.work_order_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.work_order_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.work_order_lines
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.diagnostic_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.diagnostic_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.diagnostic_sessions
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.sensor_readings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.sensor_readings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.sensor_readings
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE public.dtc_occurrences ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.dtc_occurrences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.dtc_occurrences
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE billing.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing.invoices
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE billing.invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.invoice_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing.invoice_lines
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE billing.payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing.payments
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE billing.credit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.credit_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing.credit_notes
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE billing.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing.api_keys
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

-- Support staff see every tenant's equipment: a second permissive policy, ORed with the first.
CREATE POLICY support_desk ON public.equipment_units
    USING (tenant_id = current_setting('app.tenant_id')::bigint OR current_setting('app.support_mode', true) = 'on');

-- Attachments are limited to their uploader, but nothing limits them to the tenant.
ALTER TABLE public.attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.attachments FORCE ROW LEVEL SECURITY;
CREATE POLICY uploader_only ON public.attachments
    USING (uploaded_by = current_setting('app.user_id')::bigint);

-- RLS switched on, policy never written: non-owners see nothing.
ALTER TABLE public.service_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.service_reminders FORCE ROW LEVEL SECURITY;

-- Enabled with a tenant policy, but not forced: the owning role bypasses it.
ALTER TABLE billing.subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing.subscriptions
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

-- billing.api_requests: left without RLS "for speed".

-- Global reference data: RLS on, with a policy that lets everyone do everything.
ALTER TABLE catalog.equipment_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog.equipment_types FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON catalog.equipment_types
    USING (true)
    WITH CHECK (true);
