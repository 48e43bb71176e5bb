-- A worker's step written from the order as its process last read it, after the audit head it saw
-- last (hub/store/postgres/known-orders.ts, orders.ts stepFromKnown), as one call: the same
-- statements the step otherwise sends inlined in a simple query, which PostgreSQL plans anew every
-- time (nearly half of its time per order: docs/performance.md), here with the plans each
-- connection keeps. Locks the order's row before the head, as every step does. Moves the head only
-- from where the process saw it, and only if the order has no step after the one it knew; writes
-- nothing otherwise, and answers where the head is and the order's last step, in one snapshot.
-- The audit records come linked and MACed by the hub (the key is not the database's).
CREATE FUNCTION wasl_step_after_seen_head(
  p_order_id TEXT, p_last_seq INTEGER, p_shard INTEGER, p_read_seq BIGINT, p_head_seq BIGINT, p_head_hash TEXT,
  p_status TEXT, p_doc JSONB, p_step_seq INTEGER, p_step JSONB,
  a_shard_seq BIGINT[], a_at TEXT[], a_kind TEXT[], a_actor TEXT[], a_subject TEXT[], a_data TEXT[], a_prev TEXT[], a_hash TEXT[], a_mac TEXT[], a_key_id TEXT[],
  e_event_id TEXT, e_type TEXT, e_service TEXT, e_payload JSONB, e_created_at TIMESTAMPTZ,
  s_consumer TEXT, s_event_id TEXT
) RETURNS TABLE (moved BOOLEAN, shard_seq BIGINT, hash TEXT, last_seq INTEGER)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM 1 FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  UPDATE audit_heads h SET shard_seq = p_head_seq, hash = p_head_hash
    WHERE h.shard = p_shard AND h.shard_seq = p_read_seq
      AND NOT EXISTS (SELECT 1 FROM order_timeline t WHERE t.order_id = p_order_id AND t.seq > p_last_seq);
  IF NOT FOUND THEN
    RETURN QUERY SELECT false, h.shard_seq, h.hash, (SELECT coalesce(max(t.seq), 0) FROM order_timeline t WHERE t.order_id = p_order_id)
      FROM audit_heads h WHERE h.shard = p_shard;
    RETURN;
  END IF;
  INSERT INTO audit_log (shard, shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id)
    SELECT p_shard, r.shard_seq, r.at, r.kind, r.actor, r.subject, r.data, r.prev, r.hash, r.mac, r.key_id
    FROM unnest(a_shard_seq, a_at, a_kind, a_actor, a_subject, a_data, a_prev, a_hash, a_mac, a_key_id)
      AS r (shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id);
  UPDATE orders o SET status = p_status, doc = p_doc WHERE o.id = p_order_id;
  INSERT INTO order_timeline (order_id, seq, doc) VALUES (p_order_id, p_step_seq, p_step);
  IF e_event_id IS NOT NULL THEN
    INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at) VALUES (e_event_id, p_order_id, e_type, e_service, e_payload, e_created_at);
  END IF;
  IF s_consumer IS NOT NULL THEN
    INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (s_consumer, s_event_id, now()) ON CONFLICT DO NOTHING;
  END IF;
  RETURN QUERY SELECT true, p_head_seq, p_head_hash, p_step_seq;
END
$$;
