-- The link store's schema. The two link rules are constraints, not just code:
--   one outside id points at one internal id   -> PRIMARY KEY (integration, outside id)
--   one internal id has one id per integration -> UNIQUE (internal id, integration)

CREATE TABLE users (
    id         UUID        NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE user_links (
    integration         TEXT NOT NULL CHECK (integration <> ''),
    integration_user_id TEXT NOT NULL CHECK (integration_user_id <> ''),
    user_id             UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (integration, integration_user_id),
    UNIQUE (user_id, integration)
);

CREATE TABLE threads (
    id              UUID        NOT NULL PRIMARY KEY,
    primary_user_id UUID        REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE thread_links (
    integration           TEXT NOT NULL CHECK (integration <> ''),
    integration_thread_id TEXT NOT NULL CHECK (integration_thread_id <> ''),
    thread_id             UUID NOT NULL REFERENCES threads (id),
    PRIMARY KEY (integration, integration_thread_id),
    UNIQUE (thread_id, integration)
);

CREATE TABLE thread_data (
    thread_id UUID NOT NULL REFERENCES threads (id),
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (thread_id, key)
);

-- One row per message to deliver exactly once. While `state` is 'claimed', the holder of
-- `claim_token` may finish it until `lease_until_ms`; after that anyone may claim it again.
-- Lease times come from the database's clock, so replicas with skewed clocks agree.
CREATE TABLE deliveries (
    source            TEXT    NOT NULL,
    source_message_id TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('claimed', 'delivered', 'failed')),
    claim_token       UUID,
    lease_until_ms    BIGINT  NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL,
    target_message_id TEXT,
    failure_reason    TEXT,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, source_message_id)
);
