-- The inbox: webhooks recorded before they are acknowledged, handed to workers in order.
-- `ready_at_ms` is when an entry may be taken (database clock): its retry time while
-- 'pending', its lease end while 'taken' (after which a crashed worker's entry is taken again).
CREATE TABLE inbox (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source         TEXT    NOT NULL,
    ordering_key   TEXT    NOT NULL,
    dedup_key      TEXT,
    payload        BYTEA   NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    ready_at_ms    BIGINT  NOT NULL DEFAULT 0,
    lease_token    UUID,
    last_error     TEXT,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ
);

CREATE UNIQUE INDEX inbox_dedup ON inbox (source, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX inbox_unfinished_by_key ON inbox (ordering_key, id) WHERE state IN ('pending', 'taken');
CREATE INDEX inbox_unfinished ON inbox (id, ready_at_ms) WHERE state IN ('pending', 'taken');
CREATE INDEX inbox_done ON inbox (finished_at) WHERE state = 'done';
