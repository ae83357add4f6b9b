-- Durable background jobs (imports now, monitoring scans later): a queue
-- every server and `jianfu jobs run` share. A reference table: no
-- county_code.
--
-- state: queued (waiting for due_at), running (leased to lease_owner
-- until lease_until; a lease that ran out is taken over), done, failed.
-- attempts counts the claims; with lease_owner it fences a worker whose
-- lease was taken over. progress is in thousandths of the current phase.
CREATE TABLE jobs (
    id           TEXT        NOT NULL PRIMARY KEY,
    kind         TEXT        NOT NULL,
    payload      TEXT        NOT NULL,
    state        TEXT        NOT NULL,
    due_at       TIMESTAMPTZ NOT NULL,
    lease_owner  TEXT,
    lease_until  TIMESTAMPTZ,
    attempts     BIGINT      NOT NULL,
    max_attempts BIGINT      NOT NULL,
    last_error   TEXT,
    result       TEXT,
    created_by   BIGINT,
    region       TEXT        NOT NULL,
    file_name    TEXT,
    phase        TEXT,
    progress     BIGINT      NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
-- The next due job of a kind, and the running jobs whose lease ran out.
CREATE INDEX jobs_due ON jobs (state, kind, due_at);
CREATE INDEX jobs_lease ON jobs (state, kind, lease_until);
-- Recent jobs, and finished ones old enough to clean up.
CREATE INDEX jobs_created ON jobs (created_at);

-- The job attempt that started a change batch, and the counties a
-- committed batch wrote to: a worker taking over a job finds what its
-- predecessor committed instead of importing again.
ALTER TABLE change_batches ADD COLUMN job_id TEXT;
ALTER TABLE change_batches ADD COLUMN job_attempt BIGINT;
ALTER TABLE change_batches ADD COLUMN counties TEXT;
CREATE INDEX change_batches_job ON change_batches (job_id);
