-- A campaign without an allowance: the company pays everything its shoppers order (within the
-- campaign's limits). NULL says so; 0 stays "the company pays nothing". New campaigns still start
-- at 0, so a store whose allowance nobody set refuses priced checkouts (unless `personal_pay`)
-- rather than billing the client company without bound.
ALTER TABLE campaigns ALTER COLUMN company_allowance DROP NOT NULL;
