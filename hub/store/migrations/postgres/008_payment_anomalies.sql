-- A reported payment that does not match the order's invoice (amount, currency or invoice) is
-- recorded with outcome 'anomaly' and what was expected and received (hub/payments/matching.ts);
-- the dashboard lists the latest by outcome and time, reconciliation reads them by day.
ALTER TABLE provider_callbacks ADD COLUMN anomaly JSONB;
CREATE INDEX provider_callbacks_outcome ON provider_callbacks (outcome, received_at);
