-- Replicas cache registry records and `/api/get/{id}` bindings; they learn of changes through
-- NOTIFY on the channel `wasm_sandbox` (sent by the transaction that makes them) and check a
-- record's generation before reusing it past a bound.

-- Every stored version of every worker gets a generation no other version ever had (not even one
-- of the same id after a delete and a re-registration, whose `version` starts again at 1): the
-- replicas' caches are keyed by it.
CREATE SEQUENCE worker_generations;
ALTER TABLE workers ADD COLUMN generation BIGINT NOT NULL DEFAULT nextval('worker_generations');

-- The code (SHA-256 of the worker spec) each `/api/get/{id}` id is bound to, shared so that an id
-- cannot be given other code through another replica.
CREATE TABLE id_bindings (
    -- `tenant/id`, or `id` for the implicit tenant.
    id     TEXT COLLATE "C" PRIMARY KEY,
    tenant TEXT COLLATE "C" NOT NULL,
    hash   BYTEA NOT NULL,
    -- The bound spec's tail workers (JSON array of ids).
    tails  TEXT NOT NULL,
    -- Binding order: a tenant past its limit forgets its own oldest.
    seq    BIGSERIAL NOT NULL
);
CREATE INDEX id_bindings_order ON id_bindings (tenant, seq);

-- How many ids each tenant has bound (its row is the lock new bindings of the tenant take).
CREATE TABLE id_binding_tenants (
    tenant TEXT COLLATE "C" PRIMARY KEY,
    bound  BIGINT NOT NULL
);
