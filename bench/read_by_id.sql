-- The statement of the account_read_by_id_masked scenario, for pgbench (the limit it is compared
-- with): what `GET /api/v1/organization/accounts/{id}?fields={id,username,email,role,distributor{name}}`
-- runs for a distributor manager, copied from the server's log (RUST_LOG=sqlx::query=debug) with
-- the bound parameters as pgbench variables: :me (the caller), :distributor (the caller's),
-- :id (the account read). The distributor is read in the account's own statement (a lateral join),
-- so the request runs this one statement.
SELECT t.id AS c0, t.version::int8 AS c1, t.distributor_id AS c2, t.id AS c3, t.username AS c4, CASE WHEN (FALSE OR t.id = :me OR t.distributor_id = :distributor) THEN t.email END AS c5, t.role AS c6, f0.* FROM accounts t LEFT JOIN LATERAL (SELECT r.id AS c0, r.version::int8 AS c1, r.name AS c2 FROM distributors r WHERE r.id = t.distributor_id AND (r.id = :distributor)) f0 ON TRUE WHERE t.id = :id AND (t.distributor_id = :distributor);
