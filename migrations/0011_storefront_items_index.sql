-- The storefront catalog loads a page's items product by product within one campaign; without
-- this index each product's lookup read every item of the campaign and filtered on the product.
CREATE INDEX campaign_items_campaign_product_idx ON campaign_items (campaign_id, product_id);
