-- The audit chain's append in one round trip (hub/store/postgres.ts): the lock, the head, the
-- hashes and the insert run in the server, so the chain's lock — which every order step of every
-- process waits for — is never held while a busy Node process gets round to its next statement.
-- The hash is hub/audit/chain.ts's: sha256 of prev || '\n' || the record's stable JSON, which the
-- caller sends around its seq (prefix || seq || suffix), since only the chain's head knows the seq.
-- Each statement of a PL/pgSQL function takes its own snapshot: the head is read after the lock.
CREATE FUNCTION wasl_audit_append(ats text[], kinds text[], actors text[], subjects text[], datas text[], prefixes text[], suffixes text[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  h text;
BEGIN
  PERFORM pg_advisory_xact_lock(2002875244);
  SELECT seq, hash INTO head_seq, head_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  IF head_seq IS NULL THEN
    head_seq := 0;
    head_hash := repeat('0', 64);
  END IF;
  FOR i IN 1 .. coalesce(array_length(ats, 1), 0) LOOP
    head_seq := head_seq + 1;
    h := encode(sha256(convert_to(head_hash || E'\n' || prefixes[i] || head_seq::text || suffixes[i], 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (head_seq, ats[i], kinds[i], actors[i], subjects[i], datas[i], head_hash, h);
    head_hash := h;
  END LOOP;
  RETURN head_seq;
END $$;
