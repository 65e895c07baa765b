-- The link store's schema. The two link rules are constraints, not just code:
--   one outside id points at one internal id   -> PRIMARY KEY (integration, outside id)
--   one internal id has one id per integration -> UNIQUE (internal id, integration)
-- Ids are UUIDs in their hyphenated text form.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE user_links (
    integration         TEXT NOT NULL CHECK (length(integration) > 0),
    integration_user_id TEXT NOT NULL CHECK (length(integration_user_id) > 0),
    user_id             TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (integration, integration_user_id),
    UNIQUE (user_id, integration)
);

CREATE TABLE threads (
    id              TEXT    NOT NULL PRIMARY KEY,
    primary_user_id TEXT    REFERENCES users (id),
    created_at_ms   INTEGER NOT NULL
);

CREATE TABLE thread_links (
    integration           TEXT NOT NULL CHECK (length(integration) > 0),
    integration_thread_id TEXT NOT NULL CHECK (length(integration_thread_id) > 0),
    thread_id             TEXT NOT NULL REFERENCES threads (id),
    PRIMARY KEY (integration, integration_thread_id),
    UNIQUE (thread_id, integration)
);

CREATE TABLE thread_data (
    thread_id TEXT NOT NULL REFERENCES threads (id),
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (thread_id, key)
);

-- One row per message to deliver exactly once. While `state` is 'claimed', the holder of
-- `claim_token` may finish it until `lease_until_ms`; after that anyone may claim it again.
CREATE TABLE deliveries (
    source            TEXT    NOT NULL,
    source_message_id TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('claimed', 'delivered', 'failed')),
    claim_token       TEXT,
    lease_until_ms    INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL,
    target_message_id TEXT,
    failure_reason    TEXT,
    updated_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (source, source_message_id)
);

-- `user_identify` as one atomic statement. SQLite has no insert into two tables at once, so
-- inserting a row into this (always empty) view runs the trigger below, which creates the
-- user and its link unless the outside id is linked already. The statement holds the write
-- lock throughout, so racing writers (threads or processes) cannot both create a user.
CREATE VIEW user_identify_requests (user_id, integration, integration_user_id, created_at_ms) AS
    SELECT NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER user_identify_create INSTEAD OF INSERT ON user_identify_requests
WHEN NOT EXISTS (
    SELECT 1 FROM user_links
    WHERE integration = NEW.integration AND integration_user_id = NEW.integration_user_id
)
BEGIN
    INSERT INTO users (id, created_at_ms) VALUES (NEW.user_id, NEW.created_at_ms);
    INSERT INTO user_links (user_id, integration, integration_user_id)
        VALUES (NEW.user_id, NEW.integration, NEW.integration_user_id);
END;
