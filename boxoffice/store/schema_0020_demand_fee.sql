-- Refund fees that follow demand (domain/demand_bands.py). The catalogue's bands per event, written with its refund
-- tiers; and on each refund the demand it was priced at: the places sold and the capacity this terminal knew, and
-- the band that scaled the tier's fee (its position, threshold and scale as they were then). All NULL for a
-- refund of an event with no bands, and for every refund made before this release.
CREATE TABLE refund_demand_bands (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sold_at_least_bp INTEGER NOT NULL CHECK (sold_at_least_bp BETWEEN 0 AND 10000),  -- share of capacity sold
    fee_scale_bp INTEGER NOT NULL CHECK (fee_scale_bp BETWEEN 0 AND 10000),          -- share of the tier's fee kept
    PRIMARY KEY (event_id, position)
);

ALTER TABLE refunds ADD COLUMN demand_sold INTEGER;       -- places sold when the refund was priced
ALTER TABLE refunds ADD COLUMN demand_capacity INTEGER;   -- the event's capacity then
ALTER TABLE refunds ADD COLUMN demand_band INTEGER;       -- refund_demand_bands.position; NULL below every band
ALTER TABLE refunds ADD COLUMN demand_from_bp INTEGER;    -- that band's sold_at_least, basis points
ALTER TABLE refunds ADD COLUMN demand_scale_bp INTEGER;   -- that band's fee scale, basis points
