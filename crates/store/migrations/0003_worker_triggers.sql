-- Every change of a worker row, whoever makes it (this version's daemon, an older replica during
-- a rolling upgrade, an operator's SQL), gets a new generation and tells every replica: a cached
-- copy can then never pass the generation check, and listeners drop it at once.

CREATE FUNCTION wasm_sandbox_worker_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.generation := nextval('worker_generations');
    RETURN NEW;
END $$;

CREATE TRIGGER workers_generation BEFORE UPDATE ON workers
    FOR EACH ROW EXECUTE FUNCTION wasm_sandbox_worker_generation();

CREATE FUNCTION wasm_sandbox_worker_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wasm_sandbox', 'w:' || COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END $$;

CREATE TRIGGER workers_notify AFTER INSERT OR UPDATE OR DELETE ON workers
    FOR EACH ROW EXECUTE FUNCTION wasm_sandbox_worker_notify();
