-- The second round trip of a new order's creation (hub/store/postgres/orders.ts create), as one call
-- inlined before the COMMIT: the head of the order's audit shard moved from where the first round
-- trip read it and the audit records written (wasl_append_after_head, migration 013; that round trip
-- claimed the idempotency key, in the same transaction), then the order, its timeline and their
-- outbox events — the statements a creation otherwise sends inlined in a simple query, which
-- PostgreSQL plans anew every time, here with the plans each connection keeps (a call's own plan is
-- trivial). A head that had moved since writes nothing, lets the key go (the COMMIT then commits
-- nothing) and answers where the head is now.
-- The audit records come linked and MACed by the hub (the key is not the database's).
CREATE FUNCTION wasl_create_after_head(
  p_channel TEXT, p_key TEXT, p_order_id TEXT, p_service TEXT, p_order_channel TEXT, p_status TEXT, p_doc JSONB,
  p_shard INTEGER, p_read_seq BIGINT, p_head_seq BIGINT, p_head_hash TEXT,
  t_seq INTEGER[], t_doc JSONB[],
  e_event_id TEXT[], e_type TEXT[], e_service TEXT[], e_payload JSONB[], e_created_at TIMESTAMPTZ[],
  a_shard_seq BIGINT[], a_at TEXT[], a_kind TEXT[], a_actor TEXT[], a_subject TEXT[], a_data TEXT[], a_prev TEXT[], a_hash TEXT[], a_mac TEXT[], a_key_id TEXT[]
) RETURNS TABLE (moved BOOLEAN, shard_seq BIGINT, hash TEXT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  appended RECORD;
BEGIN
  -- The head's move and the records, as every append of one shard (migration 013).
  SELECT * INTO appended FROM wasl_append_after_head(p_shard, p_read_seq, p_head_seq, p_head_hash,
    a_shard_seq, a_at, a_kind, a_actor, a_subject, a_data, a_prev, a_hash, a_mac, a_key_id, NULL, NULL, NULL, NULL, NULL);
  IF NOT appended.moved THEN
    DELETE FROM idempotency_keys k WHERE k.channel_id = p_channel AND k.key = p_key;
    RETURN QUERY SELECT false, appended.shard_seq, appended.hash;
    RETURN;
  END IF;
  INSERT INTO orders (id, service_code, channel_id, status, doc) VALUES (p_order_id, p_service, p_order_channel, p_status, p_doc);
  INSERT INTO order_timeline (order_id, seq, doc)
    SELECT p_order_id, s.seq, s.doc FROM unnest(t_seq, t_doc) AS s (seq, doc);
  INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at)
    SELECT e.event_id, p_order_id, e.type, e.service, e.payload, e.created_at
    FROM unnest(e_event_id, e_type, e_service, e_payload, e_created_at) WITH ORDINALITY AS e (event_id, type, service, payload, created_at, i)
    ORDER BY e.i;
  RETURN QUERY SELECT true, p_head_seq, p_head_hash;
END
$$;
