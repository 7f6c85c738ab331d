-- The audit log (see src/store/event.rs): append-only and hash-chained. golive only ever
-- INSERTs here and SELECTs.
--
-- Never edit this file once released: sqlx records each applied migration's checksum and
-- refuses a changed one. Add 0002_….sql instead.
--
-- `seq` is assigned by golive (last + 1, under an advisory lock), not by a sequence, because
-- it is part of what each hash covers and must have no gaps. The primary key makes a second
-- writer that somehow read a stale last event fail rather than fork the chain.
-- `payload` is the canonical JSON text that was hashed, byte for byte: TEXT, not JSONB,
-- which would re-encode it.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    checklist TEXT NOT NULL,
    kind TEXT NOT NULL,
    item TEXT,
    actor TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE INDEX events_checklist ON events (checklist, seq);
