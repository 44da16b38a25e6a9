-- +goose Up
-- Times are stored as microseconds since the Unix epoch (UTC) in both
-- dialects, so that keyset pagination and time buckets use the same SQL.
CREATE TABLE events (
    id                TEXT    NOT NULL PRIMARY KEY,
    provider          TEXT    NOT NULL DEFAULT '',
    provider_event_id TEXT    NOT NULL DEFAULT '',
    type              TEXT    NOT NULL,
    recipient         TEXT    NOT NULL DEFAULT '',
    recipient_norm    TEXT    NOT NULL DEFAULT '',
    recipient_domain  TEXT    NOT NULL DEFAULT '',
    message_id        TEXT    NOT NULL DEFAULT '',
    sending_domain    TEXT    NOT NULL DEFAULT '',
    time_us           BIGINT NOT NULL,
    received_us       BIGINT NOT NULL,
    remote_text       TEXT    NOT NULL DEFAULT '',
    reason            TEXT    NOT NULL DEFAULT '',
    category          TEXT    NOT NULL DEFAULT '',
    action            TEXT    NOT NULL DEFAULT '',
    fault             TEXT    NOT NULL DEFAULT '',
    hard_bounce       BOOLEAN NOT NULL DEFAULT FALSE,
    temporary         BOOLEAN NOT NULL DEFAULT FALSE,
    status            TEXT    NOT NULL DEFAULT '',
    reply_code        INTEGER NOT NULL DEFAULT 0,
    diag_provider     TEXT    NOT NULL DEFAULT '',
    diagnosis         BYTEA,
    raw               BYTEA
);
-- A provider's event id is unique per provider (redelivery is stored once).
CREATE UNIQUE INDEX events_provider_event ON events (provider, provider_event_id) WHERE provider_event_id <> '';
-- Newest-first keyset pagination, unfiltered and per filter column. The domain
-- and reason indexes also carry the columns filtered together with them, so
-- that a combined filter (domain + reason + provider, as the Sends page sends)
-- is checked in the index and only matching rows are read.
CREATE INDEX events_time ON events (time_us, id);
CREATE INDEX events_recipient ON events (recipient_norm, time_us, id);
CREATE INDEX events_domain ON events (recipient_domain, time_us, id, reason, provider, type);
CREATE INDEX events_reason ON events (reason, time_us, id, provider, type);
CREATE INDEX events_provider ON events (provider, time_us, id);
CREATE INDEX events_type ON events (type, time_us, id);

CREATE TABLE suppressions (
    address_norm     TEXT    NOT NULL PRIMARY KEY,
    address          TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    diagnosis_reason TEXT    NOT NULL DEFAULT '',
    event_id         TEXT    NOT NULL DEFAULT '',
    note             TEXT    NOT NULL DEFAULT '',
    created_us       BIGINT NOT NULL
);
CREATE INDEX suppressions_created ON suppressions (created_us, address_norm);

-- The current run of consecutive soft failures per address.
CREATE TABLE soft_failures (
    address_norm  TEXT    NOT NULL PRIMARY KEY,
    failures      INTEGER NOT NULL,
    first_us      BIGINT NOT NULL,
    last_us       BIGINT NOT NULL,
    last_event_id TEXT    NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE soft_failures;
DROP TABLE suppressions;
DROP TABLE events;
