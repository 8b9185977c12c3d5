//! The worker registry: named workers in an embedded, file-backed database (redb) under the data
//! dir, so they survive a restart.

use std::path::Path;

use anyhow::{Context, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::api::WorkerSpec;

const WORKERS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("workers");

/// One registered worker as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Registered {
    pub id: String,
    /// Incremented on every PUT; part of the cache key so a replaced worker is never served stale.
    pub version: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub spec: WorkerSpec,
}

pub(crate) use wasm_sandbox_spec::ids::check_id;

/// A tenant's registered workers are at their limit.
#[derive(Debug)]
pub(crate) struct TooMany(pub usize);

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

pub(crate) struct Registry {
    db: Database,
}

impl Registry {
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the data dir {}", dir.display()))?;
        let path = dir.join("registry.redb");
        let db = Database::create(&path)
            .with_context(|| format!("opening the registry database {}", path.display()))?;
        let txn = db.begin_write()?;
        txn.open_table(WORKERS)?;
        txn.commit()?;
        Ok(Registry { db })
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<Registered>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKERS)?;
        let Some(v) = table.get(id)? else {
            return Ok(None);
        };
        Ok(Some(
            serde_json::from_slice(v.value()).context("a registry record is corrupt")?,
        ))
    }

    /// How many workers a tenant has (counting stops at `stop_at`): with `prefix` (a scoped
    /// tenant), the keys `prefix/...`; without (the unscoped tenant), the keys with no `/`.
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
            if prefix.is_some() || !key.value().contains('/') {
                owned += 1;
                if owned >= stop_at {
                    break;
                }
            }
        }
        Ok(owned)
    }

    /// Whether the tenant (see [`put`](Self::put)) may register one more worker now (checked
    /// again when it is stored; this spares compiling a worker that would be refused).
    pub(crate) fn has_room(&self, id: &str, max: usize, prefix: Option<&str>) -> Result<bool> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKERS)?;
        Ok(table.get(id)?.is_some() || Self::count(&table, prefix, max)? < max)
    }

    /// Store (create or replace) a worker; returns the record and whether it was created. A new
    /// id is refused ([`TooMany`]) when its tenant (its key `prefix`, see `count`) already has
    /// `max` workers (counted in the same write transaction, so concurrent registrations cannot
    /// pass it).
    pub(crate) fn put(
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
            let now = crate::now_ms();
            let record = Registered {
                id: id.to_owned(),
                version: previous.as_ref().map(|p| p.version + 1).unwrap_or(1),
                created_ms: previous.as_ref().map(|p| p.created_ms).unwrap_or(now),
                updated_ms: now,
                spec,
            };
            table.insert(id, serde_json::to_vec(&record)?.as_slice())?;
            (record, previous.is_none())
        };
        txn.commit()?;
        Ok((record, created))
    }

    pub(crate) fn delete(&self, id: &str) -> Result<bool> {
        let txn = self.db.begin_write()?;
        let existed = txn.open_table(WORKERS)?.remove(id)?.is_some();
        txn.commit()?;
        Ok(existed)
    }
}
