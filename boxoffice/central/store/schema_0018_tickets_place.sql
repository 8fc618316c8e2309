-- Central schema version 18: tickets found by their place, so a refund or a cancellation frees a seat only when no
-- other valid ticket sits on it (central/services/ownership.free_seat), without reading every ticket.
CREATE INDEX IF NOT EXISTS tickets_place ON tickets (event_id, section_id, row_label, seat);
