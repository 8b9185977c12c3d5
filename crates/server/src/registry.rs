//! The worker registry: named workers in an embedded, file-backed database (redb) under the data
//! dir, so they survive a restart.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::api::WorkerSpec;

const WORKERS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("workers");

/// One registered worker as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub id: String,
    /// Incremented on every PUT; part of the cache key so a replaced worker is never served stale.
    pub version: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub spec: WorkerSpec,
}

/// Ids are path segments: keep them boring.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 128 {
        return Err("worker ids are 1 to 128 characters".into());
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        || id.starts_with('.')
    {
        return Err(format!(
            "worker id {id:?}: use letters, digits, '-', '_' and '.' (not leading)"
        ));
    }
    Ok(())
}

pub struct Registry {
    db: Database,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Registry {
    pub fn open(dir: &Path) -> Result<Self> {
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

    pub fn get(&self, id: &str) -> Result<Option<Registered>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKERS)?;
        let Some(v) = table.get(id)? else {
            return Ok(None);
        };
        Ok(Some(
            serde_json::from_slice(v.value()).context("a registry record is corrupt")?,
        ))
    }

    /// Store (create or replace) a worker; returns the record and whether it was created.
    pub fn put(&self, id: &str, spec: WorkerSpec) -> Result<(Registered, bool)> {
        let txn = self.db.begin_write()?;
        let (record, created) = {
            let mut table = txn.open_table(WORKERS)?;
            let previous: Option<Registered> = match table.get(id)? {
                Some(v) => serde_json::from_slice(v.value()).ok(),
                None => None,
            };
            let now = now_ms();
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

    pub fn delete(&self, id: &str) -> Result<bool> {
        let txn = self.db.begin_write()?;
        let existed = txn.open_table(WORKERS)?.remove(id)?.is_some();
        txn.commit()?;
        Ok(existed)
    }
}
