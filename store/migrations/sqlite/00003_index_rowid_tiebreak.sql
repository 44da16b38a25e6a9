-- +goose Up
-- The event indexes end in time_us, without id: SQLite ends every index
-- entry with the row's rowid anyway, which is the insertion order, so an
-- event is added at the end of the entries that share its key and time
-- instead of at the random place its content-hash id sorts to. Events often
-- share a time (providers stamp whole seconds); with id in the keys each
-- one dirtied an index page of its own in six indexes, and the writer spent
-- its time writing those pages at commit: SendGrid batches over HTTP went
-- from about 4,000 to 9,000-12,000 events/s (docs/store.md). Pages are still
-- ordered by (time_us, id): ListEvents sorts the rows of one time_us by id,
-- which SQLite does within each run of equal times.
DROP INDEX events_time;
CREATE INDEX events_time ON events (time_us);
DROP INDEX events_recipient;
CREATE INDEX events_recipient ON events (recipient_norm, time_us);
DROP INDEX events_domain;
CREATE INDEX events_domain ON events (recipient_domain, time_us, reason, provider, type);
DROP INDEX events_reason;
CREATE INDEX events_reason ON events (reason, time_us, provider, type);
DROP INDEX events_provider_type;
CREATE INDEX events_provider_type ON events (provider, time_us, type);
DROP INDEX events_type;
CREATE INDEX events_type ON events (type, time_us);

-- +goose Down
DROP INDEX events_time;
CREATE INDEX events_time ON events (time_us, id);
DROP INDEX events_recipient;
CREATE INDEX events_recipient ON events (recipient_norm, time_us, id);
DROP INDEX events_domain;
CREATE INDEX events_domain ON events (recipient_domain, time_us, id, reason, provider, type);
DROP INDEX events_reason;
CREATE INDEX events_reason ON events (reason, time_us, id, provider, type);
DROP INDEX events_provider_type;
CREATE INDEX events_provider_type ON events (provider, time_us, id, type);
DROP INDEX events_type;
CREATE INDEX events_type ON events (type, time_us, id);
