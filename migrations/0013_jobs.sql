-- Background jobs: a queue in the database we already have (no broker), and
-- the notifications it sends, each at most once.
--
-- A job is written by the transaction whose change causes it (checkout
-- writes its order's confirmation), so a job exists if and only if that
-- change committed. Workers claim due jobs with FOR UPDATE SKIP LOCKED and
-- hold a lease (`lease_until`) they extend while working; a job whose lease
-- ran out (its worker was killed or lost its connection) goes back to the
-- queue. A failed attempt is retried later with exponential backoff until
-- the attempts run out, then the job is `dead` until staff retry it.
--
--   queued  → running → done
--                     → failed (will run again at run_at) → running …
--                     → dead (no attempts left; a staff retry queues it)
--
-- Finished jobs stay (staff see what was sent and when) until the workers
-- delete those older than the retention period.
CREATE TABLE jobs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The distributor whose data the job is about; NULL for platform jobs.
    distributor_id  BIGINT REFERENCES distributors (id),
    kind            TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 50),
    payload         JSONB NOT NULL DEFAULT '{}',
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'failed', 'dead', 'done')),
    -- Attempts started since the job was queued (a staff retry starts over);
    -- the running attempt's number fences its worker's writes.
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- How often staff retried it.
    retries         INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
    -- When it may run (next): now for a new job, later after a failure.
    run_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    worker          TEXT,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT,
    -- Every failed attempt: {attempt, at, worker, error}, oldest first.
    errors          JSONB NOT NULL DEFAULT '[]',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK ((state = 'running') = (lease_until IS NOT NULL))
);
-- The claim: the due jobs, oldest first.
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE state IN ('queued', 'failed');
-- The reaper: the running jobs by lease.
CREATE INDEX jobs_leased_idx ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_distributor_idx ON jobs (distributor_id, id);
CREATE INDEX jobs_state_idx ON jobs (state, kind) WHERE state <> 'done';
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state = 'done';
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION touch_row();

-- The outbox rows checkout wrote until now become queued confirmations.
INSERT INTO jobs (distributor_id, kind, payload, created_at, run_at)
SELECT o.distributor_id, o.kind, jsonb_build_object('order_id', (o.payload ->> 'order_id')::int8, 'version', 1),
       o.created_at, o.created_at
FROM outbox o
WHERE o.kind = 'order_confirmation'
ORDER BY o.id;
DROP TABLE outbox;

-- One row per notification (an order, a template and the order's version
-- when it was caused): the key is unique, and a worker holds the row's lock
-- while it sends, so a job run twice (a lost lease, a retry) finds it `sent`
-- and sends nothing.
CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    order_id        BIGINT NOT NULL REFERENCES orders (id),
    template        TEXT NOT NULL CHECK (length(template) BETWEEN 1 AND 50),
    order_version   INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'failed')),
    recipients      TEXT[] NOT NULL DEFAULT '{}',
    subject         TEXT NOT NULL DEFAULT '',
    message_id      TEXT,
    job_id          BIGINT REFERENCES jobs (id) ON DELETE SET NULL,
    sent_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, template, order_version)
);
CREATE INDEX notifications_distributor_idx ON notifications (distributor_id);
