-- An append to one audit shard after its head as this process saw or read it last (hub/store/
-- postgres/database.ts appendWith), with the rows that go with it: a provider call's records, the
-- journal finish of the step that made the calls. One call: the head moved only from where it was
-- seen, everything else only if it moved; otherwise nothing is written and the answer says where the
-- head is now. The statements a connection otherwise sends inlined in a simple query, which
-- PostgreSQL plans anew every time, here with the plans each connection keeps. The audit records
-- come linked and MACed by the hub (the key is not the database's).
CREATE FUNCTION wasl_append_after_head(
  p_shard INTEGER, p_read_seq BIGINT, p_head_seq BIGINT, p_head_hash TEXT,
  a_shard_seq BIGINT[], a_at TEXT[], a_kind TEXT[], a_actor TEXT[], a_subject TEXT[], a_data TEXT[], a_prev TEXT[], a_hash TEXT[], a_mac TEXT[], a_key_id TEXT[],
  p_calls JSONB, f_order_id TEXT, f_step TEXT, f_status TEXT, f_outcome JSONB
) RETURNS TABLE (moved BOOLEAN, shard_seq BIGINT, hash TEXT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  UPDATE audit_heads h SET shard_seq = p_head_seq, hash = p_head_hash WHERE h.shard = p_shard AND h.shard_seq = p_read_seq;
  IF NOT FOUND THEN
    RETURN QUERY SELECT false, h.shard_seq, h.hash FROM audit_heads h WHERE h.shard = p_shard;
    RETURN;
  END IF;
  INSERT INTO audit_log (shard, shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id)
    SELECT p_shard, r.shard_seq, r.at, r.kind, r.actor, r.subject, r.data, r.prev, r.hash, r.mac, r.key_id
    FROM unnest(a_shard_seq, a_at, a_kind, a_actor, a_subject, a_data, a_prev, a_hash, a_mac, a_key_id) WITH ORDINALITY
      AS r (shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id, i)
    ORDER BY r.i;
  IF p_calls IS NOT NULL THEN
    INSERT INTO provider_calls (provider, operation, order_id, endpoint, started_at, finished_at, duration_ms, outcome, status, fault_code, attempts, request_bytes, response_bytes)
      SELECT c.provider, c.operation, c.order_id, c.endpoint, c.started_at, c.finished_at, c.duration_ms, c.outcome, c.status, c.fault_code, c.attempts, c.request_bytes, c.response_bytes
      FROM jsonb_populate_recordset(NULL::provider_calls, p_calls) WITH ORDINALITY AS c
      ORDER BY c.ordinality;
  END IF;
  IF f_order_id IS NOT NULL THEN
    UPDATE step_journal j SET status = f_status, outcome = f_outcome, finished_at = now() WHERE j.order_id = f_order_id AND j.step = f_step;
  END IF;
  RETURN QUERY SELECT true, p_head_seq, p_head_hash;
END
$$;
