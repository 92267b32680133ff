-- Retention (functions/send-message/src/retention.rs): raw webhook bodies, pending statuses,
-- idempotency keys and dead letters expire on a daily schedule. An event row outlives its body
-- and says when the body went, so the log tells "purged" apart from "never had one".
ALTER TABLE webhook_events ADD COLUMN body_purged_at INTEGER;

-- Each retention statement takes the oldest rows first, a batch at a time: these keep a run's
-- cost to its batch however large the tables grow. The events' index holds only rows that
-- still have a body to purge.
CREATE INDEX webhook_events_with_body_by_age ON webhook_events(received_at)
    WHERE body_purged_at IS NULL AND (body IS NOT NULL OR body_r2_key IS NOT NULL);
CREATE INDEX pending_statuses_by_age ON pending_statuses(received_at);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
CREATE INDEX dead_letters_by_age ON dead_letters(created_at);
