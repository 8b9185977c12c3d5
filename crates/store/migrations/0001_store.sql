-- The registry and KV of wasm-sandbox, shared by every replica. Keys sort bytewise (COLLATE "C",
-- bytea), as in the embedded store, so listings page identically on both backends.

CREATE TABLE workers (
    -- `tenant/id` for a [[tenants]] tenant, `id` for the implicit one.
    id      TEXT COLLATE "C" PRIMARY KEY,
    version BIGINT NOT NULL,
    -- The record as JSON (id, version, createdMs, updatedMs, spec).
    record  TEXT NOT NULL
);

CREATE TABLE kv (
    namespace  TEXT COLLATE "C" NOT NULL,
    key        BYTEA NOT NULL,
    value      BYTEA NOT NULL,
    metadata   TEXT,
    -- Seconds since the Unix epoch; NULL: never expires.
    expiration BIGINT,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX kv_expiring ON kv (expiration) WHERE expiration IS NOT NULL;

-- Bytes each quota group holds, updated in the transaction of every write.
CREATE TABLE kv_groups (
    grp   TEXT COLLATE "C" PRIMARY KEY,
    bytes BIGINT NOT NULL
);
