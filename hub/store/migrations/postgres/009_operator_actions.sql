-- The dashboard's "Admin actions": the latest operator.action records, newest first. A partial
-- index holds those few records only, so the order steps and provider calls that make up nearly
-- all of the trail (appended under the chain's lock, wasl_audit_append) pay nothing for it.
CREATE INDEX audit_log_operator_actions ON audit_log (seq) WHERE kind = 'operator.action';
