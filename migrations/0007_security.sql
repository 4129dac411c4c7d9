-- Security hardening (issue 11).

-- Secrets the server generates for itself and every process on this database
-- shares: the access-token signing key when JWT_SECRET is not set. A key in
-- the source code is public, so none is ever used; the first process to start
-- creates one and the others read it.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL CHECK (length(value) >= 32),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A login identifier with '@' is an email and names emails only; usernames
-- never contain '@', so no username can equal (and hijack) another account's
-- email. Earlier usernames with '@' get it replaced, and their id appended so
-- the result stays unique.
UPDATE accounts SET username = left(replace(username, '@', '_at_'), 120) || '_' || id
 WHERE position('@' IN username) > 0;
ALTER TABLE accounts ADD CONSTRAINT accounts_username_no_at CHECK (position('@' IN username) = 0);
