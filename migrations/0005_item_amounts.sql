-- A campaign item's derived amounts are sums and quotients of inputs that
-- are each below 10^10 (NUMERIC(12,2)); their sum, and the price at a margin
-- near 100%, can exceed that. They are rounded to cents when computed
-- (storage::derived), so an unconstrained NUMERIC keeps them exact and never
-- overflows; what a distributor may enter stays bounded by the inputs'
-- columns and validators.
ALTER TABLE campaign_items
    ALTER COLUMN decoration_cost TYPE NUMERIC,
    ALTER COLUMN total TYPE NUMERIC,
    ALTER COLUMN price TYPE NUMERIC;
