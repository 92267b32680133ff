-- Whether a tenant's realtime hub may have sockets. Publishers read it inside their own D1
-- batch and skip the hub when nobody listens. The hub raises it (and waits for D1) before a
-- socket gets its `ready` frame, and lowers it when a publish finds no socket; `version` comes
-- from the hub and only a higher one may overwrite, so out-of-order writes cannot lower a flag
-- that a later connect raised.
CREATE TABLE realtime_presence (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    listening   INTEGER NOT NULL CHECK (listening IN (0, 1)),
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
