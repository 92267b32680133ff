-- A stored delivery can be replayed through today's adapter (POST /v1/webhook-events/{id}/replay):
-- the path after the channel token is part of what an adapter reads (Evolution appends the event's
-- name), so it is kept beside the body; replayed_at says when a replay last ran.
ALTER TABLE webhook_events ADD COLUMN path_rest TEXT;
ALTER TABLE webhook_events ADD COLUMN replayed_at INTEGER;
