-- Pickup desk and door: who handed out which ticket, every door scan, and the index the pickup desk searches.
-- Statements only (no triggers): migrations.py splits this file on semicolons.

-- One row per ticket handed out. This terminal hands a ticket out once: the service takes it with a conditional
-- UPDATE of tickets.picked_up_at inside BEGIN IMMEDIATE, and the unique index repeats that rule per terminal. A
-- pickup made on another terminal while the two were cut off arrives by sync as a second row for the same ticket
-- with another terminal_id: kept, so the conflict can be flagged rather than lost.
CREATE TABLE pickups (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    at TEXT NOT NULL,
    operator_id TEXT,
    terminal_id TEXT NOT NULL
);
CREATE UNIQUE INDEX pickups_ticket ON pickups(ticket_id, terminal_id);
CREATE INDEX pickups_order ON pickups(order_id);

-- Every door scan, admitted or refused. The id is the scan's nonce (a UUIDv7 made when the ticket was scanned), so
-- sync can send a check-in again and it is recorded once. ticket_id has no foreign key: a door admits genuine web
-- tickets this terminal has never seen, and records refusals of texts that were no ticket at all (NULL).
CREATE TABLE checkins (
    id TEXT PRIMARY KEY,
    ticket_id TEXT,
    event_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    at TEXT NOT NULL,
    operator_id TEXT,
    terminal_id TEXT NOT NULL,
    result TEXT NOT NULL              -- 'admitted', or the refusal code (bad_signature, already_checked_in, ...)
);
-- "Is this ticket in?": the latest admitted scan of one ticket.
CREATE INDEX checkins_ticket ON checkins(ticket_id, result, at);
-- `scan stats`: counts per event and result, and who is in now, answered from the index alone.
CREATE INDEX checkins_event ON checkins(event_id, result, ticket_id, at, direction);

-- Order search for the pickup desk. The rowid is the order's rowid when it was indexed; order_id is what queries
-- join on, because VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY.
--
-- Text goes in already folded by boxoffice.domain.search_text: case-folded (so ß matches ss), every CJK character
-- set apart by spaces so each Han character is a token of its own, and hyphenated or apostrophed names also
-- written joined (O'Brien is found as "o brien" and as "obrien"). unicode61 with remove_diacritics 2 then makes
-- accents optional (Zoë = Zoe, Müller = Muller) in the index and in queries alike.
--
-- Why one token per Han character rather than the trigram tokenizer: Chinese names are mostly two or three
-- characters, and a trigram index cannot answer a query shorter than three characters (SQLite falls back to a
-- scan), so neither a surname nor a two-character given name could be looked up. Per-character tokens answer
-- every length, and a contiguous run typed at the desk becomes a phrase query, so 小明 finds 王小明 but not
-- 明小. Trigram also needs SQLite 3.45 before it can ignore accents, and would make every Latin query a set of
-- trigram lookups instead of one term lookup.
--
-- phone_rev holds the phone's digits reversed, so "the last digits" is a prefix query on one term.
-- prefix='2 3' keeps short prefixes ("an", "mül") fast on a large event.
CREATE VIRTUAL TABLE order_search USING fts5(
    name,
    email,
    phone_rev,
    order_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

