-- Orders, the staff side: notes with their earlier texts, and a history
-- nobody can rewrite.
--
-- The events, the allowance ledger and the note versions are append-only,
-- enforced here rather than trusted to the code: an UPDATE or DELETE of one
-- of their rows fails whoever runs it, so "who changed this order, and what
-- did it say before?" always has its answer. (TRUNCATE, which only the
-- tables' owner may run, stays possible: `seed --reset` empties development
-- and benchmark databases with it.)

CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER allowance_ledger_append_only BEFORE UPDATE OR DELETE ON allowance_ledger
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

-- Orders are never deleted (a cancelled order stays, with its history), so
-- the cascade from orders to events is replaced by a plain reference: a
-- DELETE of an order now fails on its events instead of erasing them. An
-- event's actor likewise stays named: deleting an account that acted on an
-- order is refused (deactivate it instead), where `SET NULL` would have
-- rewritten the history.
ALTER TABLE order_events DROP CONSTRAINT order_events_order_id_fkey,
    ADD CONSTRAINT order_events_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id),
    DROP CONSTRAINT order_events_actor_id_fkey,
    ADD CONSTRAINT order_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES accounts (id),
    -- Every row the query compiler reads has a version (its ETag); an
    -- event never changes, so it stays 1.
    ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Notes of staff and the campaign's admin buyers on an order. An edit keeps
-- the text it replaces in order_note_versions (by trigger, so no code path
-- can skip it); a delete is soft.
CREATE TABLE order_notes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders (id),
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    author_id       BIGINT NOT NULL REFERENCES accounts (id),
    -- Who wrote the current text (the author until someone edits it).
    edited_by       BIGINT NOT NULL REFERENCES accounts (id),
    body            TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    is_deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX order_notes_order_idx ON order_notes (order_id, id);
CREATE INDEX order_notes_distributor_idx ON order_notes (distributor_id);
CREATE TRIGGER order_notes_touch BEFORE UPDATE ON order_notes FOR EACH ROW EXECUTE FUNCTION touch_row();

-- A note's earlier texts: one row per text an edit replaced, with who wrote
-- it and when.
CREATE TABLE order_note_versions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note_id         BIGINT NOT NULL REFERENCES order_notes (id),
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    version         INTEGER NOT NULL,
    body            TEXT NOT NULL,
    written_by      BIGINT NOT NULL REFERENCES accounts (id),
    written_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (note_id, version)
);
CREATE INDEX order_note_versions_distributor_idx ON order_note_versions (distributor_id);
CREATE TRIGGER order_note_versions_append_only BEFORE UPDATE OR DELETE ON order_note_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

CREATE FUNCTION keep_note_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.body IS DISTINCT FROM OLD.body THEN
        INSERT INTO order_note_versions (note_id, distributor_id, version, body, written_by, written_at)
        VALUES (OLD.id, OLD.distributor_id, OLD.version, OLD.body, OLD.edited_by,
                OLD.modified_at)
        ON CONFLICT (note_id, version) DO NOTHING;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER order_notes_keep_text BEFORE UPDATE ON order_notes FOR EACH ROW EXECUTE FUNCTION keep_note_text();

-- The filters staff use on their orders list: status within a distributor
-- by date.
CREATE INDEX orders_distributor_status_created_idx ON orders (distributor_id, status, created_at, id);
