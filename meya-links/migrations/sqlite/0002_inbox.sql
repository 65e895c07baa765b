-- The inbox: webhooks recorded before they are acknowledged, handed to workers in order.
-- `ready_at_ms` is when an entry may be taken: its retry time while 'pending', its lease end
-- while 'taken' (after which a crashed worker's entry is taken again).
-- AUTOINCREMENT: ids are never reused after a purge, so they keep the push order.
CREATE TABLE inbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source         TEXT    NOT NULL,
    ordering_key   TEXT    NOT NULL,
    dedup_key      TEXT,
    payload        BLOB    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    ready_at_ms    INTEGER NOT NULL DEFAULT 0,
    lease_token    TEXT,
    last_error     TEXT,
    recorded_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER
);

CREATE UNIQUE INDEX inbox_dedup ON inbox (source, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX inbox_unfinished_by_key ON inbox (ordering_key, id) WHERE state IN ('pending', 'taken');
CREATE INDEX inbox_unfinished ON inbox (id, ready_at_ms) WHERE state IN ('pending', 'taken');
CREATE INDEX inbox_done ON inbox (finished_at_ms) WHERE state = 'done';
