-- Indexes for the default list orders (each resource's default sort plus the
-- id tiebreak), with and without the distributor scope, so the first page of a
-- list reads 51 index entries instead of sorting the table.

CREATE INDEX accounts_username_id_idx ON accounts (username, id);
DROP INDEX accounts_distributor_id_idx;
CREATE INDEX accounts_distributor_id_idx ON accounts (distributor_id, username, id);

CREATE INDEX distributors_name_id_idx ON distributors (name, id);

CREATE INDEX campaigns_name_id_idx ON campaigns (name, id);
CREATE INDEX campaigns_distributor_name_idx ON campaigns (distributor_id, name, id);

DROP INDEX locations_campaign_idx;
CREATE INDEX locations_campaign_idx ON locations (campaign_id, nickname, id);
