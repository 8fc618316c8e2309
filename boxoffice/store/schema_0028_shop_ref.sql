-- The pickup desk finds a web order by the shop's own reference (issue 20, the pretix bridge).
--
-- A customer who bought in pretix's shop holds pretix's order code (from its confirmation e-mail), not the W code
-- the central service gave the order: the feed's web order carries it as shop_ref, kept here. Case is ignored when
-- searching (people read codes out), so the index is NOCASE; partial: only web orders from a shop have one.
ALTER TABLE orders ADD COLUMN shop_ref TEXT;
CREATE INDEX orders_shop_ref ON orders(shop_ref COLLATE NOCASE) WHERE shop_ref IS NOT NULL;
