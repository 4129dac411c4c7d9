-- A row's version counts the committed changes a client can see. Writes made
-- by the transaction that created the row (a variant's sku, a campaign item's
-- prices, filled in right after the insert by storage::derived) are part of
-- its creation, so they leave the version at 1. now() is the transaction's
-- start, so `OLD.created_at = now()` holds exactly for rows this transaction
-- inserted (created_at defaults to now()).
CREATE OR REPLACE FUNCTION touch_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := now();
    IF OLD.created_at IS DISTINCT FROM now() THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END;
$$;
