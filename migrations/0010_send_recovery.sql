-- A send whose retry was scheduled records when it is due, so the scheduled re-drive
-- (functions/send-message/src/redrive.rs) can tell a retry whose queue job went missing (safe to
-- send: the last attempt's failure was known) from an attempt that died holding its lease
-- (outcome unknown: never sent again blindly).
ALTER TABLE messages ADD COLUMN send_retry_at INTEGER;
-- The re-drive's scans touch only messages still waiting to be sent.
CREATE INDEX messages_waiting_to_send ON messages(send_claimed_until, send_retry_at)
    WHERE status = 'queued';
