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
