-- The step journal: the outcome of each external call, per order and step, so a message
-- delivered again after a crash or a redeploy resumes instead of calling the ministry again.
CREATE TABLE step_journal (
  order_id      TEXT NOT NULL,
  step          TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('started', 'succeeded', 'failed')),
  attempts      INTEGER NOT NULL,
  outcome       TEXT,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  PRIMARY KEY (order_id, step)
) WITHOUT ROWID;
