//! The worker registry: named workers and their versions, in redb (one machine) or Postgres
//! (shared by replicas).

use std::path::Path;

use anyhow::{Context, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use wasm_sandbox_spec::run::WorkerSpec;

use crate::postgres::PgRegistry;

const WORKERS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("workers");
/// The last generation given out (see [`Registered::generation`]).
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

/// One registered worker as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// Its key: `tenant/id`, or `id` for the implicit tenant.
    pub id: String,
    /// Incremented on every PUT (a re-registration after a delete starts again at 1).
    pub version: u64,
    /// Unique to this version of this worker in the store: never given out twice, not even to a
    /// worker re-registered under the id after a delete. Part of the cache key, so a replaced
    /// worker is never served stale, on any replica.
    #[serde(default)]
    pub generation: u64,
    /// When it was first registered, ms since the Unix epoch.
    pub created_ms: u64,
    /// When this version was registered.
    pub updated_ms: u64,
    /// What was registered.
    pub spec: WorkerSpec,
}

/// A tenant's registered workers are at their limit.
#[derive(Debug)]
pub struct TooMany(pub usize);

impl std::fmt::Display for TooMany {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this tenant already has {} registered workers, its limit (delete one first)",
            self.0
        )
    }
}

impl std::error::Error for TooMany {}

/// Whether `key` belongs to the tenant with key prefix `prefix` (`prefix/...`), or, without
/// one, to the implicit tenant (no `/`).
pub fn owned_by(key: &str, prefix: Option<&str>) -> bool {
    match prefix {
        Some(p) => key
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with('/')),
        None => !key.contains('/'),
    }
}

/// The registry, on one of its backends.
pub enum Registry {
    /// `registry.redb` under the data dir.
    Redb(RedbRegistry),
    /// The shared database.
    Postgres(PgRegistry),
}

impl Registry {
    /// The embedded registry in `dir`.
    pub fn open_redb(dir: &Path) -> Result<Registry> {
        RedbRegistry::open(dir).map(Registry::Redb)
    }

    /// The worker stored under `id`.
    pub async fn get(&self, id: &str) -> Result<Option<std::sync::Arc<Registered>>> {
        match self {
            Registry::Redb(r) => r.get(id).map(|r| r.map(std::sync::Arc::new)),
            Registry::Postgres(r) => r.get(id).await,
        }
    }

    /// Whether the tenant (see [`put`](Self::put)) may register one more worker now (checked
    /// again when it is stored; this spares compiling a worker that would be refused).
    pub async fn has_room(&self, id: &str, max: usize, prefix: Option<&str>) -> Result<bool> {
        match self {
            Registry::Redb(r) => r.has_room(id, max, prefix),
            Registry::Postgres(r) => r.has_room(id, max, prefix).await,
        }
    }

    /// Store (create or replace) a worker; returns the record and whether it was created. A new
    /// id is refused ([`TooMany`]) when its tenant (its key `prefix`: keys `prefix/...`, or keys
    /// without `/` when `None`) already has `max` workers, counted in the same transaction so
    /// that concurrent registrations — on any replica — cannot pass it.
    pub async fn put(
        &self,
        id: &str,
        spec: WorkerSpec,
        max: usize,
        prefix: Option<&str>,
    ) -> Result<(Registered, bool)> {
        match self {
            Registry::Redb(r) => r.put(id, spec, max, prefix),
            Registry::Postgres(r) => r.put(id, spec, max, prefix).await,
        }
    }

    /// Remove a worker; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        match self {
            Registry::Redb(r) => r.delete(id),
            Registry::Postgres(r) => r.delete(id).await,
        }
    }
}

/// The next record for `id`: version and creation time carried over from `previous`.
pub(crate) fn next_record(
    id: &str,
    spec: WorkerSpec,
    previous: Option<&Registered>,
    generation: u64,
) -> Registered {
    let now = crate::now_ms();
    Registered {
        id: id.to_owned(),
        version: previous.map_or(1, |p| p.version + 1),
        generation,
        created_ms: previous.map_or(now, |p| p.created_ms),
        updated_ms: now,
        spec,
    }
}

/// The registry in an embedded redb file.
pub struct RedbRegistry {
    db: Database,
}

impl RedbRegistry {
    /// Open (or create) `registry.redb` in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the data dir {}", dir.display()))?;
        let path = dir.join("registry.redb");
        let db = Database::create(&path)
            .with_context(|| format!("opening the registry database {}", path.display()))?;
        let txn = db.begin_write()?;
        txn.open_table(WORKERS)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(RedbRegistry { db })
    }

    fn get(&self, id: &str) -> Result<Option<Registered>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKERS)?;
        let Some(v) = table.get(id)? else {
            return Ok(None);
        };
        Ok(Some(
            serde_json::from_slice(v.value()).context("a registry record is corrupt")?,
        ))
    }

    /// How many workers a tenant has (counting stops at `stop_at`).
    fn count(
        table: &impl redb::ReadableTable<&'static str, &'static [u8]>,
        prefix: Option<&str>,
        stop_at: usize,
    ) -> Result<usize> {
        let mut owned = 0usize;
        let range = match prefix {
            // Keys under `p/` sort between `p/` and `p0` ('0' follows '/').
            Some(p) => table.range::<&str>(format!("{p}/").as_str()..format!("{p}0").as_str())?,
            None => table.range::<&str>(..)?,
        };
        for entry in range {
            let (key, _) = entry?;
            if owned_by(key.value(), prefix) {
                owned += 1;
                if owned >= stop_at {
                    break;
                }
            }
        }
        Ok(owned)
    }

    fn has_room(&self, id: &str, max: usize, prefix: Option<&str>) -> Result<bool> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKERS)?;
        Ok(table.get(id)?.is_some() || Self::count(&table, prefix, max)? < max)
    }

    fn put(
        &self,
        id: &str,
        spec: WorkerSpec,
        max: usize,
        prefix: Option<&str>,
    ) -> Result<(Registered, bool)> {
        let txn = self.db.begin_write()?;
        let (record, created) = {
            let mut table = txn.open_table(WORKERS)?;
            let (exists, previous): (bool, Option<Registered>) = match table.get(id)? {
                Some(v) => (true, serde_json::from_slice(v.value()).ok()),
                None => (false, None),
            };
            if !exists && Self::count(&table, prefix, max)? >= max {
                return Err(TooMany(max).into());
            }
            let mut meta = txn.open_table(META)?;
            let generation = meta.get("generation")?.map_or(0, |g| g.value()) + 1;
            meta.insert("generation", generation)?;
            let record = next_record(id, spec, previous.as_ref(), generation);
            table.insert(id, serde_json::to_vec(&record)?.as_slice())?;
            (record, previous.is_none())
        };
        txn.commit()?;
        Ok((record, created))
    }

    fn delete(&self, id: &str) -> Result<bool> {
        let txn = self.db.begin_write()?;
        let existed = txn.open_table(WORKERS)?.remove(id)?.is_some();
        txn.commit()?;
        Ok(existed)
    }
}
