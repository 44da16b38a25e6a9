-- Named queries for the PostgreSQL store. Each block starts with "-- name: NAME".
-- Placeholders are $N (modernc.org/sqlite binds them by number, like PostgreSQL).

-- name: insert_event
INSERT INTO events (
    id, provider, provider_event_id, type, recipient, recipient_norm, recipient_domain,
    message_id, sending_domain, time_us, received_us, remote_text,
    reason, category, action, fault, hard_bounce, temporary, status, reply_code,
    diag_provider, diagnosis, raw
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
ON CONFLICT DO NOTHING;

-- name: select_events
SELECT id, provider, provider_event_id, type, recipient, message_id, sending_domain,
       time_us, received_us, remote_text, reason, category, action, fault, hard_bounce,
       temporary, status, reply_code, diag_provider, diagnosis, raw
FROM events

-- name: update_diagnosis
UPDATE events SET reason = $2, category = $3, action = $4, fault = $5, hard_bounce = $6,
       temporary = $7, status = $8, reply_code = $9, diag_provider = $10, diagnosis = $11
WHERE id = $1;

-- name: purge_batch
DELETE FROM events WHERE id IN (
    SELECT id FROM events WHERE time_us < $1 ORDER BY time_us LIMIT $2
);

-- name: failures_by_reason
SELECT (time_us / $3) * $3 AS bucket, reason, count(*)
FROM events
WHERE time_us >= $1 AND time_us < $2 AND type IN ('bounced', 'dropped', 'deferred')
GROUP BY bucket, reason
ORDER BY bucket, reason;

-- name: top_failing_domains
SELECT recipient_domain,
       sum(CASE WHEN type IN ('bounced', 'dropped', 'deferred') THEN 1 ELSE 0 END) AS failures,
       count(*) AS total
FROM events
WHERE time_us >= $1 AND recipient_domain <> ''
GROUP BY recipient_domain
HAVING sum(CASE WHEN type IN ('bounced', 'dropped', 'deferred') THEN 1 ELSE 0 END) > 0
ORDER BY failures DESC, recipient_domain
LIMIT $2;

-- name: insert_suppression
INSERT INTO suppressions (address_norm, address, reason, diagnosis_reason, event_id, note, created_us)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING;

-- name: select_suppressions
SELECT address_norm, address, reason, diagnosis_reason, event_id, note, created_us
FROM suppressions

-- name: delete_suppression
DELETE FROM suppressions WHERE address_norm = $1;

-- name: soft_failure_add
INSERT INTO soft_failures (address_norm, failures, first_us, last_us, last_event_id)
VALUES ($1, 1, $2, $2, $3)
ON CONFLICT (address_norm) DO UPDATE SET
    failures = soft_failures.failures + 1,
    first_us = LEAST(soft_failures.first_us, excluded.first_us),
    last_us = GREATEST(soft_failures.last_us, excluded.last_us),
    last_event_id = excluded.last_event_id
RETURNING failures, first_us, last_us;

-- name: soft_failure_reset
DELETE FROM soft_failures WHERE address_norm = $1 AND first_us <= $2;

-- name: soft_failure_delete
DELETE FROM soft_failures WHERE address_norm = $1;

-- The suppression rules for PostgreSQL's pipelined AddEvents (pgwriter.go).
-- Each statement takes the event's id and has an effect only when this
-- transaction inserted that event (its row's xmin is our transaction id), so
-- the statements may be sent before the insert's answer has arrived. The
-- soft-failure rule needs no answer in between either: after
-- soft_failure_add_new, a run of at least $8 failures spanning at least $9 µs
-- puts the address on the list (soft_run_suppress_new) and ends the run
-- (soft_run_end_new).

-- name: insert_suppression_new
INSERT INTO suppressions (address_norm, address, reason, diagnosis_reason, event_id, note, created_us)
SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint
WHERE EXISTS (SELECT 1 FROM events WHERE id = $5 AND xmin = pg_current_xact_id()::xid)
ON CONFLICT DO NOTHING;

-- name: soft_failure_delete_new
DELETE FROM soft_failures
WHERE address_norm = $1 AND EXISTS (SELECT 1 FROM events WHERE id = $2 AND xmin = pg_current_xact_id()::xid);

-- name: soft_failure_reset_new
DELETE FROM soft_failures
WHERE address_norm = $1 AND first_us <= $2
  AND EXISTS (SELECT 1 FROM events WHERE id = $3 AND xmin = pg_current_xact_id()::xid);

-- name: soft_failure_add_new
INSERT INTO soft_failures (address_norm, failures, first_us, last_us, last_event_id)
SELECT $1::text, 1, $2::bigint, $2::bigint, $3::text
WHERE EXISTS (SELECT 1 FROM events WHERE id = $3 AND xmin = pg_current_xact_id()::xid)
ON CONFLICT (address_norm) DO UPDATE SET
    failures = soft_failures.failures + 1,
    first_us = LEAST(soft_failures.first_us, excluded.first_us),
    last_us = GREATEST(soft_failures.last_us, excluded.last_us),
    last_event_id = excluded.last_event_id;

-- name: soft_run_suppress_new
INSERT INTO suppressions (address_norm, address, reason, diagnosis_reason, event_id, note, created_us)
SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint
FROM soft_failures
WHERE address_norm = $1 AND failures >= $8 AND last_us - first_us >= $9
  AND EXISTS (SELECT 1 FROM events WHERE id = $5 AND xmin = pg_current_xact_id()::xid)
ON CONFLICT DO NOTHING;

-- name: soft_run_end_new
DELETE FROM soft_failures
WHERE address_norm = $1 AND failures >= $2 AND last_us - first_us >= $3
  AND EXISTS (SELECT 1 FROM events WHERE id = $4 AND xmin = pg_current_xact_id()::xid);

-- One statement per event for the one-trip pipeline (pgwriter.go): the event's
-- INSERT and its suppression rule in one statement, the rule's statements as
-- data-modifying CTEs that act only when the insert returned a row (the event
-- is new). $1..$23 are insert_event's; the result is the number of events
-- inserted (0 or 1). A soft failure's run is ended by soft_run_end_new
-- afterwards (one statement cannot update and then delete the same row).

-- name: insert_event_suppress
WITH ins AS (
    INSERT INTO events (
        id, provider, provider_event_id, type, recipient, recipient_norm, recipient_domain,
        message_id, sending_domain, time_us, received_us, remote_text,
        reason, category, action, fault, hard_bounce, temporary, status, reply_code,
        diag_provider, diagnosis, raw
    ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
    ON CONFLICT DO NOTHING
    RETURNING 1
), sup AS (
    INSERT INTO suppressions (address_norm, address, reason, diagnosis_reason, event_id, note, created_us)
    SELECT $6, $24::text, $25::text, $13, $1, '', $10 FROM ins
    ON CONFLICT DO NOTHING
), run AS (
    DELETE FROM soft_failures WHERE address_norm = $6 AND EXISTS (SELECT 1 FROM ins)
)
SELECT count(*) FROM ins;

-- name: insert_event_reset
WITH ins AS (
    INSERT INTO events (
        id, provider, provider_event_id, type, recipient, recipient_norm, recipient_domain,
        message_id, sending_domain, time_us, received_us, remote_text,
        reason, category, action, fault, hard_bounce, temporary, status, reply_code,
        diag_provider, diagnosis, raw
    ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
    ON CONFLICT DO NOTHING
    RETURNING 1
), run AS (
    DELETE FROM soft_failures WHERE address_norm = $6 AND first_us <= $10 AND EXISTS (SELECT 1 FROM ins)
)
SELECT count(*) FROM ins;

-- $24 the address, $25 the suppression reason (soft-bounce), $26 the run's
-- length, $27 its least span in µs.
-- name: insert_event_soft
WITH ins AS (
    INSERT INTO events (
        id, provider, provider_event_id, type, recipient, recipient_norm, recipient_domain,
        message_id, sending_domain, time_us, received_us, remote_text,
        reason, category, action, fault, hard_bounce, temporary, status, reply_code,
        diag_provider, diagnosis, raw
    ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
    ON CONFLICT DO NOTHING
    RETURNING 1
), run AS (
    INSERT INTO soft_failures (address_norm, failures, first_us, last_us, last_event_id)
    SELECT $6, 1, $10, $10, $1 FROM ins
    ON CONFLICT (address_norm) DO UPDATE SET
        failures = soft_failures.failures + 1,
        first_us = LEAST(soft_failures.first_us, excluded.first_us),
        last_us = GREATEST(soft_failures.last_us, excluded.last_us),
        last_event_id = excluded.last_event_id
    RETURNING failures, first_us, last_us
), sup AS (
    INSERT INTO suppressions (address_norm, address, reason, diagnosis_reason, event_id, note, created_us)
    SELECT $6, $24::text, $25::text, $13, $1, '', $10 FROM run
    WHERE run.failures >= $26::integer AND run.last_us - run.first_us >= $27::bigint
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM ins;
