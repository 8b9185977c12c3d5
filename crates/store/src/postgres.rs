//! The shared backend: the registry and KV in Postgres, through a connection pool
//! (`deadpool-postgres` over `tokio-postgres`).
//!
//! Writes that must not race across replicas take locks in one order — a tenant's advisory lock
//! for a registration, the quota group's row for a KV write — so a limit counted in a
//! transaction holds whichever replica the writes arrive on. Expired KV entries are invisible
//! as soon as they expire (checked on read, as in the embedded store) and deleted by
//! [`PgStore::reap_expired`], which the daemon runs periodically.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use wasm_sandbox::kv::{account, quota_group, stored_bytes, KvEntry, KvStore};
use wasm_sandbox_spec::run::WorkerSpec;

use crate::coherence::{Change, Coherence, Lookup, CHANNEL};
use crate::registry::{next_record, Registered, TooMany};

/// The schema, in order; each applied once, in its own transaction.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_store.sql")),
    (2, include_str!("../migrations/0002_coherence.sql")),
    (3, include_str!("../migrations/0003_worker_triggers.sql")),
];

/// How long a cached registry record is reused without asking the database (see
/// [`crate::coherence`]), unless [`PgStore::connect_with`] says otherwise.
pub const DEFAULT_RECHECK: Duration = Duration::from_secs(1);

/// Held (session-level) while migrations run, so replicas starting together apply each once.
const MIGRATION_LOCK: i64 = 0x7761_736d_5f6d_6967; // "wasm_mig"

/// How [`PgStore::open`] connects.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Pooled connections (one more is held to listen for changes).
    pub max_connections: usize,
    /// How long a cached registry record is reused without asking (see [`crate::coherence`]).
    pub recheck: Duration,
    /// Certificates (PEM) trusted for the server's TLS certificate besides the public roots.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            recheck: DEFAULT_RECHECK,
            ca_file: None,
        }
    }
}

/// A connection pool to the shared database, its schema applied.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    coherence: Arc<Coherence>,
    /// Stops the listening connection when the last clone is dropped.
    _listener: Arc<AbortOnDrop>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl PgStore {
    /// Connect to `url` (`postgres://user:password@host:port/db`, or key=value pairs) with at
    /// most `max_connections`, check the database, apply the migrations it lacks, and start
    /// listening for other replicas' changes (records reused without asking for at most
    /// [`DEFAULT_RECHECK`]). TLS as the URL's `sslmode` says (see [`crate::tls`]).
    pub async fn connect(url: &str, max_connections: usize) -> Result<PgStore> {
        Self::open(
            url,
            &PgOptions {
                max_connections,
                ..PgOptions::default()
            },
        )
        .await
    }

    /// [`connect`](Self::connect), with cached registry records reused without asking the
    /// database for at most `recheck` (the bound on serving a replaced worker when a
    /// notification was missed; see [`crate::coherence`]).
    pub async fn connect_with(
        url: &str,
        max_connections: usize,
        recheck: Duration,
    ) -> Result<PgStore> {
        Self::open(
            url,
            &PgOptions {
                max_connections,
                recheck,
                ..PgOptions::default()
            },
        )
        .await
    }

    /// Connect to `url` with `options`.
    pub async fn open(url: &str, options: &PgOptions) -> Result<PgStore> {
        let max_connections = options.max_connections;
        let recheck = options.recheck;
        let mut config = crate::tls::parse_url(url)?;
        let tls = crate::tls::connector(options.ca_file.as_deref())?;
        // A peer that vanished (a partition, a killed server) is noticed, not waited on forever.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .context("building the Postgres pool")?;
        // Migrations on a connection of their own: the session lock ends with it, whatever
        // happens.
        let (client, connection) =
            tokio::time::timeout(Duration::from_secs(10), config.connect(tls.clone()))
                .await
                .context("connecting to Postgres: timed out after 10 s")?
                .context("connecting to Postgres")?;
        let conn = tokio::spawn(connection);
        let migrated = migrate(&client).await;
        drop(client);
        let _ = conn.await;
        migrated?;
        let coherence = Coherence::new(recheck);
        let listener = Arc::new(AbortOnDrop(coherence.spawn_listener(config, tls)));
        Ok(PgStore {
            pool,
            coherence,
            _listener: listener,
        })
    }

    /// The registry on this database.
    pub fn registry(&self) -> PgRegistry {
        PgRegistry {
            pool: self.pool.clone(),
            coherence: self.coherence.clone(),
        }
    }

    /// The `/api/get/{id}` bindings on this database.
    pub fn bindings(&self) -> PgBindings {
        PgBindings {
            pool: self.pool.clone(),
        }
    }

    /// The changes made to the store, by any replica, as this one learns of them (see
    /// [`crate::coherence`]): drop what is cached for each. A receiver that lags behind gets
    /// `Lagged`: treat it as [`Change::Lost`].
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.coherence.subscribe()
    }

    /// Whether this replica is receiving the other replicas' changes now.
    pub fn listening(&self) -> bool {
        self.coherence.listening()
    }

    /// Bumped whenever this replica learns that an `/api/get/{id}` binding changed (or that it may
    /// have missed changes): a binding read before a bump must not be cached after it.
    pub fn bindings_epoch(&self) -> u64 {
        self.coherence.bindings_epoch()
    }

    /// How long what a replica caches may be trusted without asking the database.
    pub fn recheck(&self) -> Duration {
        self.coherence.recheck()
    }

    /// The KV store on this database. Its methods block: call them from tokio's blocking pool
    /// (as `KvNamespace` does), inside the runtime this store was connected in.
    pub fn kv(&self) -> Arc<PgKv> {
        Arc::new(PgKv {
            pool: self.pool.clone(),
            handle: tokio::runtime::Handle::current(),
        })
    }

    /// Delete KV entries expired by now, in batches, keeping each quota group's count; returns
    /// how many were deleted.
    pub async fn reap_expired(&self) -> Result<u64> {
        let mut total = 0;
        loop {
            let n = reap_batch(&self.pool, 1000).await?;
            total += n;
            if n < 1000 {
                return Ok(total);
            }
        }
    }

    /// Run [`reap_expired`](Self::reap_expired) every `every` until the task is aborted.
    pub fn spawn_reaper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match store.reap_expired().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "expired KV entries deleted"),
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "KV expiry reaper failed"),
                }
            }
        })
    }
}

async fn migrate(client: &tokio_postgres::Client) -> Result<()> {
    let encoding: String = client.query_one("SHOW server_encoding", &[]).await?.get(0);
    if encoding != "UTF8" {
        bail!("the Postgres database's encoding is {encoding}; the store needs UTF8 (createdb -E UTF8)");
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS wasm_sandbox_migrations (
                 version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        )
        .await?;
    for (version, sql) in MIGRATIONS {
        let done = client
            .query_opt(
                "SELECT 1 FROM wasm_sandbox_migrations WHERE version = $1",
                &[version],
            )
            .await?
            .is_some();
        if done {
            continue;
        }
        client.batch_execute("BEGIN").await?;
        let applied = async {
            client.batch_execute(sql).await?;
            client
                .execute(
                    "INSERT INTO wasm_sandbox_migrations (version, applied_ms) VALUES ($1, $2)",
                    &[version, &(crate::now_ms() as i64)],
                )
                .await?;
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(e) = applied {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(e).with_context(|| format!("applying store migration {version}"));
        }
        tracing::info!(version, "store migration applied");
    }
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    Ok(())
}

/// The registry in Postgres, with this replica's cache of its records (see
/// [`crate::coherence`]).
pub struct PgRegistry {
    pool: Pool,
    coherence: Arc<Coherence>,
}

/// Queue a notification of a change of `key` (sent when the transaction commits).
async fn notify(c: &impl tokio_postgres::GenericClient, kind: char, key: &str) -> Result<()> {
    c.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &Change::payload(kind, key)],
    )
    .await?;
    Ok(())
}

/// Workers of the tenant `prefix` (see [`crate::registry::owned_by`]), counting up to `stop_at`.
async fn count_workers(
    c: &impl tokio_postgres::GenericClient,
    prefix: Option<&str>,
    stop_at: usize,
) -> Result<usize> {
    let limit = stop_at as i64;
    let row = match prefix {
        // Keys under `p/` sort between `p/` and `p0` ('0' follows '/'; bytewise, COLLATE "C").
        Some(p) => {
            c.query_one(
                "SELECT count(*) FROM (SELECT 1 FROM workers WHERE id >= $1 AND id < $2 LIMIT $3) t",
                &[&format!("{p}/"), &format!("{p}0"), &limit],
            )
            .await?
        }
        None => {
            c.query_one(
                "SELECT count(*) FROM (SELECT 1 FROM workers WHERE strpos(id, '/') = 0 LIMIT $1) t",
                &[&limit],
            )
            .await?
        }
    };
    Ok(row.get::<_, i64>(0) as usize)
}

fn record(text: &str) -> Result<Registered> {
    serde_json::from_str(text).context("a registry record is corrupt")
}

/// A stored row as its record (the generation column is the authority).
fn row_record(row: &tokio_postgres::Row) -> Result<Registered> {
    let mut rec = record(row.get(0))?;
    rec.generation = row.get::<_, i64>(1) as u64;
    Ok(rec)
}

impl PgRegistry {
    /// The record of `id`: from this replica's cache while it is known current, else read (or,
    /// when cached but due a check, its generation compared).
    pub(crate) async fn get(&self, id: &str) -> Result<Option<Arc<Registered>>> {
        let co = &self.coherence;
        let cached = match co.lookup(id) {
            Lookup::Fresh(r) => return Ok(Some(r)),
            Lookup::Check(r) => Some(r),
            Lookup::Miss => None,
        };
        let epoch = co.epoch();
        let c = self.pool.get().await?;
        if let Some(cached) = cached {
            let stored = c
                .query_opt("SELECT generation FROM workers WHERE id = $1", &[&id])
                .await?
                .map(|r| r.get::<_, i64>(0) as u64);
            if stored == Some(cached.generation) {
                co.confirm(id, epoch);
                return Ok(Some(cached));
            }
        }
        let row = c
            .query_opt(
                "SELECT record, generation FROM workers WHERE id = $1",
                &[&id],
            )
            .await?;
        let rec = match row {
            Some(r) => {
                let bytes = r.get::<_, &str>(0).len();
                Some((Arc::new(row_record(&r)?), bytes))
            }
            None => None,
        };
        co.store(id, rec.clone(), epoch);
        Ok(rec.map(|(r, _)| r))
    }

    pub(crate) async fn has_room(
        &self,
        id: &str,
        max: usize,
        prefix: Option<&str>,
    ) -> Result<bool> {
        let c = self.pool.get().await?;
        if c.query_opt("SELECT 1 FROM workers WHERE id = $1", &[&id])
            .await?
            .is_some()
        {
            return Ok(true);
        }
        Ok(count_workers(&**c, prefix, max).await? < max)
    }

    pub(crate) async fn put(
        &self,
        id: &str,
        spec: WorkerSpec,
        max: usize,
        prefix: Option<&str>,
    ) -> Result<(Registered, bool)> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // One registration of a tenant at a time, on every replica: its count stays exact.
        let lock = format!("wasm-sandbox/registry/{}", prefix.unwrap_or(""));
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&lock],
        )
        .await?;
        // Outer `Some`: the id exists (a corrupt record is replaced, as on redb).
        let previous = tx
            .query_opt(
                "SELECT record FROM workers WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
            .map(|row| record(row.get(0)).ok());
        if previous.is_none() && count_workers(&*tx, prefix, max).await? >= max {
            return Err(TooMany(max).into());
        }
        let previous = previous.flatten();
        // The generation is the row's (a new one on insert and, by trigger, on every update; the
        // trigger also notifies every replica): the record's copy of it is filled in on read.
        let mut rec = next_record(id, spec, previous.as_ref(), 0);
        let generation: i64 = tx
            .query_one(
                "INSERT INTO workers (id, version, record) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, record = excluded.record
                 RETURNING generation",
                &[&id, &(rec.version as i64), &serde_json::to_string(&rec)?],
            )
            .await?
            .get(0);
        rec.generation = generation as u64;
        tx.commit().await?;
        self.coherence.apply(Change::Worker(id.to_owned()));
        let created = previous.is_none();
        Ok((rec, created))
    }

    pub(crate) async fn delete(&self, id: &str) -> Result<bool> {
        let c = self.pool.get().await?;
        // (The row's trigger notifies every replica.)
        let deleted = c
            .execute("DELETE FROM workers WHERE id = $1", &[&id])
            .await?
            > 0;
        self.coherence.apply(Change::Worker(id.to_owned()));
        Ok(deleted)
    }
}

/// The `/api/get/{id}` bindings in Postgres: which code (SHA-256 of the spec) each id was first
/// given, for every replica. A tenant keeps at most `max` bindings; binding one more forgets its
/// oldest (and tells every replica).
pub struct PgBindings {
    pool: Pool,
}

/// An id's binding as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// SHA-256 of the spec the id was first given.
    pub hash: [u8; 32],
    /// That spec's tail workers.
    pub tails: Vec<String>,
}

fn binding(row: &tokio_postgres::Row) -> Result<Binding> {
    let hash: Vec<u8> = row.get(0);
    Ok(Binding {
        hash: hash
            .try_into()
            .map_err(|_| anyhow::anyhow!("a stored id binding's hash is not 32 bytes"))?,
        tails: serde_json::from_str(row.get(1)).context("a stored id binding is corrupt")?,
    })
}

impl PgBindings {
    /// The binding of `id`, if it has one.
    pub async fn get(&self, id: &str) -> Result<Option<Binding>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt("SELECT hash, tails FROM id_bindings WHERE id = $1", &[&id])
            .await?;
        row.map(|r| binding(&r)).transpose()
    }

    /// Bind `id` (of `tenant`) to `new` unless it is bound; returns the binding it has after
    /// (`new`, or the one it already had). Past `max` bindings, the tenant's oldest is
    /// forgotten.
    pub async fn bind(&self, id: &str, tenant: &str, new: &Binding, max: usize) -> Result<Binding> {
        let mut c = self.pool.get().await?;
        if let Some(b) = c
            .query_opt("SELECT hash, tails FROM id_bindings WHERE id = $1", &[&id])
            .await?
        {
            return binding(&b);
        }
        let tx = c.transaction().await?;
        // The tenant's count row: new bindings of one tenant queue here, so it stays exact.
        tx.execute(
            "INSERT INTO id_binding_tenants (tenant, bound) VALUES ($1, 0) ON CONFLICT DO NOTHING",
            &[&tenant],
        )
        .await?;
        let bound: i64 = tx
            .query_one(
                "SELECT bound FROM id_binding_tenants WHERE tenant = $1 FOR UPDATE",
                &[&tenant],
            )
            .await?
            .get(0);
        let inserted = tx
            .execute(
                "INSERT INTO id_bindings (id, tenant, hash, tails) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &id,
                    &tenant,
                    &new.hash.as_slice(),
                    &serde_json::to_string(&new.tails)?,
                ],
            )
            .await?
            > 0;
        if !inserted {
            // Bound meanwhile, by another request.
            let row = tx
                .query_one("SELECT hash, tails FROM id_bindings WHERE id = $1", &[&id])
                .await?;
            tx.commit().await?;
            return binding(&row);
        }
        let mut bound = bound + 1;
        while bound > max as i64 {
            let Some(old) = tx
                .query_opt(
                    "DELETE FROM id_bindings WHERE id = (
                         SELECT id FROM id_bindings WHERE tenant = $1 ORDER BY seq LIMIT 1)
                     RETURNING id",
                    &[&tenant],
                )
                .await?
            else {
                break;
            };
            notify(&*tx, 'b', old.get(0)).await?;
            bound -= 1;
        }
        tx.execute(
            "UPDATE id_binding_tenants SET bound = $2 WHERE tenant = $1",
            &[&tenant, &bound],
        )
        .await?;
        tx.commit().await?;
        Ok(new.clone())
    }

    /// Forget `id`'s binding — only if it is `hash`, when given; the hash it was bound to, if
    /// one was forgotten. Every replica is told.
    pub async fn unbind(&self, id: &str, hash: Option<&[u8; 32]>) -> Result<Option<[u8; 32]>> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt("SELECT tenant, hash FROM id_bindings WHERE id = $1", &[&id])
            .await?
        else {
            return Ok(None);
        };
        let tenant: String = row.get(0);
        if hash.is_some_and(|h| row.get::<_, &[u8]>(1) != h.as_slice()) {
            return Ok(None);
        }
        // The count row first (the order bind takes its locks in).
        tx.execute(
            "SELECT 1 FROM id_binding_tenants WHERE tenant = $1 FOR UPDATE",
            &[&tenant],
        )
        .await?;
        let deleted = tx
            .query_opt(
                "DELETE FROM id_bindings WHERE id = $1 AND ($2::BYTEA IS NULL OR hash = $2)
                 RETURNING hash",
                &[&id, &hash.map(|h| h.as_slice())],
            )
            .await?;
        let Some(deleted) = deleted else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE id_binding_tenants SET bound = greatest(bound - 1, 0) WHERE tenant = $1",
            &[&tenant],
        )
        .await?;
        notify(&*tx, 'b', id).await?;
        tx.commit().await?;
        let hash: Vec<u8> = deleted.get(0);
        Ok(hash.try_into().ok())
    }
}

/// KV in Postgres (see [`KvStore`]: keys, limits and expiry are checked above the store).
pub struct PgKv {
    pool: Pool,
    handle: tokio::runtime::Handle,
}

impl PgKv {
    /// Run `f` to completion from a blocking thread.
    fn run<R>(&self, f: impl Future<Output = Result<R>>) -> Result<R> {
        self.handle.block_on(f)
    }
}

/// Lock `group`'s row (made if missing) and return its bytes: every write to the group queues
/// here, so its quota is counted exactly.
async fn lock_group(tx: &tokio_postgres::Transaction<'_>, group: &str) -> Result<u64> {
    tx.execute(
        "INSERT INTO kv_groups (grp, bytes) VALUES ($1, 0) ON CONFLICT (grp) DO NOTHING",
        &[&group],
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT bytes FROM kv_groups WHERE grp = $1 FOR UPDATE",
            &[&group],
        )
        .await?;
    Ok(row.get::<_, i64>(0).max(0) as u64)
}

/// The bytes the stored entry `key` of `namespace` is charged, if there is one.
async fn stored_size(
    tx: &tokio_postgres::Transaction<'_>,
    namespace: &str,
    key: &str,
) -> Result<Option<u64>> {
    let row = tx
        .query_opt(
            "SELECT octet_length(value)::BIGINT, coalesce(octet_length(metadata), 0)::BIGINT
             FROM kv WHERE namespace = $1 AND key = $2",
            &[&namespace, &key.as_bytes()],
        )
        .await?;
    Ok(row.map(|r| charged(key, r.get(0), r.get(1))))
}

/// [`stored_bytes`] from the lengths the database reports.
fn charged(key: &str, value_len: i64, metadata_len: i64) -> u64 {
    key.len() as u64 + value_len.max(0) as u64 + metadata_len.max(0) as u64 + 16
}

/// The smallest byte string greater than every string starting with `prefix` (`None`: no
/// bound, when `prefix` is empty or all 0xFF).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl KvStore for PgKv {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<KvEntry>> {
        self.run(async {
            let c = self.pool.get().await?;
            let row = c
                .query_opt(
                    "SELECT value, metadata, expiration FROM kv WHERE namespace = $1 AND key = $2",
                    &[&namespace, &key.as_bytes()],
                )
                .await?;
            Ok(row.map(|r| KvEntry {
                value: r.get(0),
                metadata: r.get(1),
                expiration: r.get::<_, Option<i64>>(2).map(|t| t.max(0) as u64),
            }))
        })
    }

    fn put(&self, namespace: &str, key: &str, entry: &KvEntry, quota: Option<u64>) -> Result<()> {
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let group = quota_group(namespace);
            let used = lock_group(&tx, group).await?;
            let old = stored_size(&tx, namespace, key).await?.unwrap_or(0);
            let after = account(used, old, stored_bytes(key, entry), quota)?;
            let expiration = entry.expiration.map(|t| t.min(i64::MAX as u64) as i64);
            tx.execute(
                "INSERT INTO kv (namespace, key, value, metadata, expiration) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (namespace, key) DO UPDATE
                 SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration",
                &[&namespace, &key.as_bytes(), &entry.value, &entry.metadata, &expiration],
            )
            .await?;
            tx.execute(
                "UPDATE kv_groups SET bytes = $2 WHERE grp = $1",
                &[&group, &(after as i64)],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<()> {
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let group = quota_group(namespace);
            let used = lock_group(&tx, group).await?;
            let row = tx
                .query_opt(
                    "DELETE FROM kv WHERE namespace = $1 AND key = $2
                     RETURNING octet_length(value)::BIGINT, coalesce(octet_length(metadata), 0)::BIGINT",
                    &[&namespace, &key.as_bytes()],
                )
                .await?;
            if let Some(r) = row {
                let freed = charged(key, r.get(0), r.get(1));
                tx.execute(
                    "UPDATE kv_groups SET bytes = $2 WHERE grp = $1",
                    &[&group, &(used.saturating_sub(freed) as i64)],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn group_bytes(&self, group: &str) -> Result<u64> {
        self.run(async {
            let c = self.pool.get().await?;
            let row = c
                .query_opt("SELECT bytes FROM kv_groups WHERE grp = $1", &[&group])
                .await?;
            Ok(row.map_or(0, |r| r.get::<_, i64>(0).max(0) as u64))
        })
    }

    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, KvEntry)>> {
        self.run(async {
            let c = self.pool.get().await?;
            let end = prefix_end(prefix.as_bytes());
            let limit = limit as i64;
            // From the prefix, or past the cursor's key when that is further on (a cursor from
            // another listing may sort before the prefix).
            let rows = match after.filter(|a| *a >= prefix) {
                Some(a) => {
                    c.query(
                        "SELECT key, value, metadata, expiration FROM kv
                         WHERE namespace = $1 AND key > $2 AND ($3::BYTEA IS NULL OR key < $3)
                         ORDER BY key LIMIT $4",
                        &[&namespace, &a.as_bytes(), &end, &limit],
                    )
                    .await?
                }
                None => {
                    c.query(
                        "SELECT key, value, metadata, expiration FROM kv
                         WHERE namespace = $1 AND key >= $2 AND ($3::BYTEA IS NULL OR key < $3)
                         ORDER BY key LIMIT $4",
                        &[&namespace, &prefix.as_bytes(), &end, &limit],
                    )
                    .await?
                }
            };
            rows.iter()
                .map(|r| {
                    let key = String::from_utf8(r.get(0)).context("a KV key is not UTF-8")?;
                    Ok((
                        key,
                        KvEntry {
                            value: r.get(1),
                            metadata: r.get(2),
                            expiration: r.get::<_, Option<i64>>(3).map(|t| t.max(0) as u64),
                        },
                    ))
                })
                .collect()
        })
    }
}

/// Delete up to `batch` expired entries, groups locked first (the order every write takes).
async fn reap_batch(pool: &Pool, batch: i64) -> Result<u64> {
    let now = (crate::now_ms() / 1000) as i64;
    let mut c = pool.get().await?;
    let expired = c
        .query(
            "SELECT namespace, key FROM kv WHERE expiration IS NOT NULL AND expiration <= $1 LIMIT $2",
            &[&now, &batch],
        )
        .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let mut groups: Vec<String> = expired
        .iter()
        .map(|r| quota_group(r.get::<_, &str>(0)).to_owned())
        .collect();
    groups.sort();
    groups.dedup();
    let tx = c.transaction().await?;
    let mut used = std::collections::BTreeMap::new();
    for g in &groups {
        used.insert(g.clone(), lock_group(&tx, g).await?);
    }
    let mut deleted = 0;
    for r in &expired {
        let (namespace, key): (&str, Vec<u8>) = (r.get(0), r.get(1));
        // Still expired? (A write may have renewed it since the SELECT.)
        let row = tx
            .query_opt(
                "DELETE FROM kv WHERE namespace = $1 AND key = $2 AND expiration IS NOT NULL AND expiration <= $3
                 RETURNING octet_length(key)::BIGINT, octet_length(value)::BIGINT, coalesce(octet_length(metadata), 0)::BIGINT",
                &[&namespace, &key, &now],
            )
            .await?;
        if let Some(d) = row {
            let freed =
                (d.get::<_, i64>(0) + d.get::<_, i64>(1) + d.get::<_, i64>(2)).max(0) as u64 + 16;
            if let Some(u) = used.get_mut(quota_group(namespace)) {
                *u = u64::saturating_sub(*u, freed);
            }
            deleted += 1;
        }
    }
    for (g, bytes) in &used {
        tx.execute(
            "UPDATE kv_groups SET bytes = $2 WHERE grp = $1",
            &[g, &(*bytes as i64)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(b"user:"), Some(b"user;".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }
}
