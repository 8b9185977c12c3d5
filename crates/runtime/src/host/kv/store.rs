//! KV namespaces for workers (`env.NOTES.get(key)`), with the Workers KV semantics.
//!
//! A [`KvStore`] holds every namespace; a worker gets a [`KvNamespace`] (store + namespace name)
//! as a binding and can reach nothing else. Two stores ship: [`FileKv`] (embedded, file-backed
//! with `redb`: data survives a restart) and [`MemoryKv`] (for tests). Limits and expiry are
//! applied here, above the store, so every store behaves the same.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use redb::ReadableDatabase as _;
use redb::ReadableTable as _;
use serde_json::{json, Value};

use wasm_sandbox_spec::boundary as check;
/// The limits of Workers KV (checked in `wasm_sandbox_spec::boundary`).
pub use wasm_sandbox_spec::boundary::{
    MAX_KEY_BYTES, MAX_LIST_LIMIT, MAX_METADATA_BYTES, MAX_VALUE_BYTES,
};

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
pub struct KvEntry {
    /// The value's bytes.
    pub value: Vec<u8>,
    /// Metadata JSON, if stored with any.
    pub metadata: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub expiration: Option<u64>,
}

/// The bytes an entry is charged against its group's quota: key, value, metadata and a fixed
/// overhead per entry.
pub fn stored_bytes(key: &str, entry: &KvEntry) -> u64 {
    (key.len() + entry.value.len() + entry.metadata.as_ref().map_or(0, String::len) + 16) as u64
}

/// The quota group of a namespace: what comes before its first `:` (a tenant's scope, see
/// [`KvNamespace::scoped`]), or `""` for an unscoped namespace. Every namespace of a group
/// counts against the group's quota together.
pub fn quota_group(namespace: &str) -> &str {
    namespace.split_once(':').map_or("", |(g, _)| g)
}

/// A put refused because the namespace's group would exceed its quota (the store's error,
/// downcast from `anyhow`).
#[derive(Debug, thiserror::Error)]
#[error("KV quota exceeded: {used} of {max} bytes used, this write needs {needed} more")]
pub struct QuotaExceeded {
    /// Bytes the group holds now.
    pub used: u64,
    /// The quota.
    pub max: u64,
    /// What the write would add.
    pub needed: u64,
}

/// A group's bytes after replacing an entry of `old` bytes by one of `new` bytes, or the
/// refusal when that grows the group past `quota` (shrinking is always allowed). Every
/// [`KvStore`] counts with it, in the same step as the write.
pub fn account(used: u64, old: u64, new: u64, quota: Option<u64>) -> Result<u64, QuotaExceeded> {
    let after = used.saturating_sub(old) + new;
    match quota {
        Some(max) if new > old && after > max => Err(QuotaExceeded {
            used,
            max,
            needed: new - old,
        }),
        _ => Ok(after),
    }
}

/// Where KV data lives. Implementations store, scan and account bytes per quota group
/// ([`quota_group`], [`stored_bytes`]) in the same step as the write; keys, limits and expiry are
/// checked by [`KvNamespace`]. Methods may block (they run on tokio's blocking pool).
pub trait KvStore: Send + Sync + 'static {
    /// The entry under `key`, expired or not.
    fn get(&self, namespace: &str, key: &str) -> anyhow::Result<Option<KvEntry>>;
    /// Store `entry` under `key`, replacing any; with `quota`, refuse (with [`QuotaExceeded`])
    /// a write that would bring the namespace's group above that many bytes.
    fn put(
        &self,
        namespace: &str,
        key: &str,
        entry: &KvEntry,
        quota: Option<u64>,
    ) -> anyhow::Result<()>;
    /// Remove `key` (no error if missing).
    fn delete(&self, namespace: &str, key: &str) -> anyhow::Result<()>;
    /// Bytes the quota group `group` holds.
    fn group_bytes(&self, group: &str) -> anyhow::Result<u64>;
    /// Up to `limit` entries of `namespace` whose key starts with `prefix` and sorts after
    /// `after`, in key order.
    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<(String, KvEntry)>>;
}

/// A namespace of a store: what a worker's KV binding is.
#[derive(Clone)]
pub struct KvNamespace {
    store: Arc<dyn KvStore>,
    namespace: String,
    /// Bytes the namespace's quota group may hold (`None`: no quota).
    quota: Option<u64>,
}

impl std::fmt::Debug for KvNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvNamespace")
            .field("namespace", &self.namespace)
            .finish()
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl KvNamespace {
    /// Namespace `namespace` of `store`. Names are 1–64 characters of `[A-Za-z0-9_.-]`.
    pub fn new(store: Arc<dyn KvStore>, namespace: impl Into<String>) -> anyhow::Result<Self> {
        let namespace = namespace.into();
        let ok = !namespace.is_empty()
            && namespace.len() <= 64
            && namespace
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        anyhow::ensure!(
            ok,
            "KV namespace {namespace:?}: use 1-64 characters of A-Z a-z 0-9 _ - ."
        );
        Ok(KvNamespace {
            store,
            namespace,
            quota: None,
        })
    }

    /// Namespace `namespace` inside `scope` (a tenant): stored as `scope:namespace`, which no
    /// unscoped name can spell (`:` is not allowed in names), and counted in `scope`'s quota
    /// group. `scope` is 1–64 characters of `[A-Za-z0-9_-]`.
    pub fn scoped(
        store: Arc<dyn KvStore>,
        scope: &str,
        namespace: impl Into<String>,
    ) -> anyhow::Result<Self> {
        let ok = !scope.is_empty()
            && scope.len() <= 64
            && scope
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        anyhow::ensure!(
            ok,
            "KV scope {scope:?}: use 1-64 characters of A-Z a-z 0-9 _ -"
        );
        let mut ns = KvNamespace::new(store, namespace)?;
        ns.namespace = format!("{scope}:{}", ns.namespace);
        Ok(ns)
    }

    /// Cap the bytes this namespace's quota group (its scope's namespaces together) may hold;
    /// a `put` beyond it fails with a clear error in the script.
    pub fn with_quota(mut self, bytes: u64) -> Self {
        self.quota = Some(bytes);
        self
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.namespace
    }

    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn KvStore, &str) -> anyhow::Result<R> + Send + 'static,
    ) -> Result<R, String> {
        let (store, ns) = (self.store.clone(), self.namespace.clone());
        tokio::task::spawn_blocking(move || f(&*store, &ns))
            .await
            .map_err(|e| format!("KV store task failed: {e}"))?
            .map_err(|e| format!("KV store error: {e:#}"))
    }

    /// The live entry for `key` (`None` if missing or expired).
    pub async fn get(&self, key: &str) -> Result<Option<KvEntry>, String> {
        check::kv_key(key)?;
        let key = key.to_owned();
        let entry = self.blocking(move |s, ns| s.get(ns, &key)).await?;
        Ok(entry.filter(|e| e.expiration.is_none_or(|t| t > now_secs())))
    }

    /// Store `value` under `key`. `ttl` (seconds from now, ≥ 1) and `expiration` (Unix seconds,
    /// in the future) set the expiry; the earlier wins.
    pub async fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Option<u64>,
        expiration: Option<u64>,
        metadata: Option<String>,
    ) -> Result<(), String> {
        let expiration = check::kv_put(
            key,
            value.len(),
            metadata.as_deref(),
            ttl,
            expiration,
            now_secs(),
        )?;
        let (key, entry) = (
            key.to_owned(),
            KvEntry {
                value,
                metadata,
                expiration,
            },
        );
        let quota = self.quota;
        let (store, ns) = (self.store.clone(), self.namespace.clone());
        tokio::task::spawn_blocking(move || store.put(&ns, &key, &entry, quota))
            .await
            .map_err(|e| format!("KV store task failed: {e}"))?
            .map_err(|e| match e.downcast_ref::<QuotaExceeded>() {
                Some(q) => format!("KV put(): {q}"),
                None => format!("KV store error: {e:#}"),
            })
    }

    /// Remove `key` (no error if it is missing).
    pub async fn delete(&self, key: &str) -> Result<(), String> {
        check::kv_key(key)?;
        let key = key.to_owned();
        self.blocking(move |s, ns| s.delete(ns, &key)).await
    }

    /// The Workers listing: `{"keys": [{"name", "expiration"?, "metadata"?}], "list_complete",
    /// "cursor"?}`. The cursor is opaque to scripts (the last key, hex-encoded).
    pub async fn list(
        &self,
        prefix: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Value, String> {
        let limit = check::kv_list_limit(limit);
        let after = match cursor {
            Some(c) => Some(check::kv_after_cursor(c)?),
            None => None,
        };
        let prefix = prefix.unwrap_or("").to_owned();
        let now = now_secs();
        // One more than asked tells whether the listing is complete. Expired entries are
        // skipped (a page may come back short; the cursor still moves on).
        let rows = self
            .blocking(move |s, ns| s.scan(ns, &prefix, after.as_deref(), limit + 1))
            .await?;
        let complete = rows.len() <= limit;
        let page = &rows[..rows.len().min(limit)];
        let keys: Vec<Value> = page
            .iter()
            .filter(|(_, e)| e.expiration.is_none_or(|t| t > now))
            .map(|(k, e)| {
                let mut o = json!({ "name": k });
                if let Some(t) = e.expiration {
                    o["expiration"] = json!(t);
                }
                if let Some(m) = &e.metadata {
                    o["metadata"] = serde_json::from_str(m).unwrap_or(Value::Null);
                }
                o
            })
            .collect();
        let mut out = json!({ "keys": keys, "list_complete": complete });
        if !complete {
            if let Some((last, _)) = page.last() {
                out["cursor"] = json!(check::kv_cursor(last));
            }
        }
        Ok(out)
    }
}

/// Where a scan starts: at the prefix, or at the cursor's key when that is further on (a cursor
/// from another listing may sort before the prefix).
fn scan_start<'a>(prefix: &'a str, after: Option<&'a str>) -> &'a str {
    match after {
        Some(a) if a > prefix => a,
        _ => prefix,
    }
}

/// An in-memory store (tests, ephemeral use).
#[derive(Default)]
pub struct MemoryKv {
    data: Mutex<MemoryData>,
}

#[derive(Default)]
struct MemoryData {
    entries: BTreeMap<(String, String), KvEntry>,
    groups: std::collections::HashMap<String, u64>,
}

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(MemoryKv::default())
    }
}

impl KvStore for MemoryKv {
    fn get(&self, namespace: &str, key: &str) -> anyhow::Result<Option<KvEntry>> {
        let data = self.data.lock().unwrap();
        Ok(data
            .entries
            .get(&(namespace.to_owned(), key.to_owned()))
            .cloned())
    }
    fn put(
        &self,
        namespace: &str,
        key: &str,
        entry: &KvEntry,
        quota: Option<u64>,
    ) -> anyhow::Result<()> {
        let mut data = self.data.lock().unwrap();
        let k = (namespace.to_owned(), key.to_owned());
        let old = data.entries.get(&k).map_or(0, |e| stored_bytes(key, e));
        let new = stored_bytes(key, entry);
        let group = quota_group(namespace).to_owned();
        let used = data.groups.get(&group).copied().unwrap_or(0);
        let after = account(used, old, new, quota)?;
        data.groups.insert(group, after);
        data.entries.insert(k, entry.clone());
        Ok(())
    }
    fn delete(&self, namespace: &str, key: &str) -> anyhow::Result<()> {
        let mut data = self.data.lock().unwrap();
        if let Some(old) = data.entries.remove(&(namespace.to_owned(), key.to_owned())) {
            let group = data
                .groups
                .entry(quota_group(namespace).to_owned())
                .or_default();
            *group = group.saturating_sub(stored_bytes(key, &old));
        }
        Ok(())
    }
    fn group_bytes(&self, group: &str) -> anyhow::Result<u64> {
        Ok(self
            .data
            .lock()
            .unwrap()
            .groups
            .get(group)
            .copied()
            .unwrap_or(0))
    }
    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<(String, KvEntry)>> {
        let data = self.data.lock().unwrap();
        let start = (namespace.to_owned(), scan_start(prefix, after).to_owned());
        Ok(data
            .entries
            .range(start..)
            .filter(|((_, k), _)| after != Some(k.as_str()))
            .take_while(|((ns, k), _)| ns == namespace && k.starts_with(prefix))
            .take(limit)
            .map(|((_, k), e)| (k.clone(), e.clone()))
            .collect())
    }
}

/// The embedded, file-backed store: one `redb` database file holding every namespace (keys are
/// `namespace \0 key`; values carry expiry and metadata). Expired entries are dropped when read.
pub struct FileKv {
    db: redb::Database,
}

const TABLE: redb::TableDefinition<'_, &[u8], &[u8]> = redb::TableDefinition::new("kv");
/// Bytes held per quota group, updated in the same transaction as every write. (Data written
/// before this table existed is not counted until it is overwritten or deleted.)
const GROUPS: redb::TableDefinition<'_, &str, u64> = redb::TableDefinition::new("kv-groups");

fn db_key(namespace: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(namespace.len() + 1 + key.len());
    k.extend_from_slice(namespace.as_bytes());
    k.push(0);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `[expiration u64 LE (0: none)][metadata length u32 LE (u32::MAX: none)][metadata][value]`
fn encode(e: &KvEntry) -> Vec<u8> {
    let meta = e.metadata.as_deref().map(str::as_bytes);
    let mut out = Vec::with_capacity(12 + meta.map_or(0, <[u8]>::len) + e.value.len());
    out.extend_from_slice(&e.expiration.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&meta.map_or(u32::MAX, |m| m.len() as u32).to_le_bytes());
    out.extend_from_slice(meta.unwrap_or_default());
    out.extend_from_slice(&e.value);
    out
}

fn decode(b: &[u8]) -> anyhow::Result<KvEntry> {
    anyhow::ensure!(b.len() >= 12, "corrupt KV record");
    let expiration = u64::from_le_bytes(b[..8].try_into()?);
    let meta_len = u32::from_le_bytes(b[8..12].try_into()?);
    let (metadata, rest) = if meta_len == u32::MAX {
        (None, &b[12..])
    } else {
        let end = 12 + meta_len as usize;
        anyhow::ensure!(b.len() >= end, "corrupt KV record");
        (Some(String::from_utf8(b[12..end].to_vec())?), &b[end..])
    };
    Ok(KvEntry {
        value: rest.to_vec(),
        metadata,
        expiration: (expiration != 0).then_some(expiration),
    })
}

impl FileKv {
    /// Open (or create) the database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Arc<Self>> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let db = redb::Database::create(path)
            .map_err(|e| anyhow::anyhow!("opening KV database {}: {e}", path.display()))?;
        let tx = db.begin_write()?;
        tx.open_table(TABLE)?;
        tx.open_table(GROUPS)?;
        tx.commit()?;
        Ok(Arc::new(FileKv { db }))
    }
}

impl KvStore for FileKv {
    fn get(&self, namespace: &str, key: &str) -> anyhow::Result<Option<KvEntry>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TABLE)?;
        let entry = match table.get(db_key(namespace, key).as_slice())? {
            Some(v) => Some(decode(v.value())?),
            None => None,
        };
        Ok(entry)
    }
    fn put(
        &self,
        namespace: &str,
        key: &str,
        entry: &KvEntry,
        quota: Option<u64>,
    ) -> anyhow::Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut table = tx.open_table(TABLE)?;
            let mut groups = tx.open_table(GROUPS)?;
            let k = db_key(namespace, key);
            let old = match table.get(k.as_slice())? {
                Some(v) => stored_bytes(key, &decode(v.value())?),
                None => 0,
            };
            let new = stored_bytes(key, entry);
            let group = quota_group(namespace);
            let used = groups.get(group)?.map_or(0, |v| v.value());
            let after = account(used, old, new, quota)?;
            table.insert(k.as_slice(), encode(entry).as_slice())?;
            groups.insert(group, after)?;
        }
        tx.commit()?;
        Ok(())
    }
    fn delete(&self, namespace: &str, key: &str) -> anyhow::Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut table = tx.open_table(TABLE)?;
            let removed = match table.remove(db_key(namespace, key).as_slice())? {
                Some(v) => Some(stored_bytes(key, &decode(v.value())?)),
                None => None,
            };
            if let Some(bytes) = removed {
                let mut groups = tx.open_table(GROUPS)?;
                let group = quota_group(namespace);
                let used = groups.get(group)?.map_or(0, |v| v.value());
                groups.insert(group, used.saturating_sub(bytes))?;
            }
        }
        tx.commit()?;
        Ok(())
    }
    fn group_bytes(&self, group: &str) -> anyhow::Result<u64> {
        let tx = self.db.begin_read()?;
        let groups = tx.open_table(GROUPS)?;
        Ok(groups.get(group)?.map_or(0, |v| v.value()))
    }
    fn scan(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<(String, KvEntry)>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TABLE)?;
        let start = db_key(namespace, scan_start(prefix, after));
        let full_prefix = db_key(namespace, prefix);
        let mut out = Vec::new();
        for row in table.range(start.as_slice()..)? {
            let (k, v) = row?;
            let k = k.value();
            if !k.starts_with(&full_prefix) {
                break;
            }
            let key = String::from_utf8(k[namespace.len() + 1..].to_vec())?;
            if after == Some(key.as_str()) {
                continue;
            }
            out.push((key, decode(v.value())?));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn listing(store: Arc<dyn KvStore>) {
        let ns = KvNamespace::new(store, "t").unwrap();
        for k in ["apple", "banana", "user:1", "user:2", "user:3", "zebra"] {
            ns.put(k, k.as_bytes().to_vec(), None, None, None)
                .await
                .unwrap();
        }
        let names = |v: &Value| -> Vec<String> {
            v["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let page = ns.list(Some("user:"), Some(2), None).await.unwrap();
        assert_eq!(names(&page), ["user:1", "user:2"]);
        let cursor = page["cursor"].as_str().unwrap().to_owned();
        let page = ns
            .list(Some("user:"), Some(2), Some(&cursor))
            .await
            .unwrap();
        assert_eq!(names(&page), ["user:3"]);
        assert_eq!(page["list_complete"], true);
        // A cursor that sorts before the prefix (from another listing) still lists the prefix.
        let early = hex::encode("apple");
        let page = ns.list(Some("user:"), None, Some(&early)).await.unwrap();
        assert_eq!(names(&page), ["user:1", "user:2", "user:3"]);
        let all = ns.list(None, None, None).await.unwrap();
        assert_eq!(
            names(&all),
            ["apple", "banana", "user:1", "user:2", "user:3", "zebra"]
        );
    }

    async fn quotas(store: Arc<dyn KvStore>) {
        let a = KvNamespace::scoped(store.clone(), "acme", "one")
            .unwrap()
            .with_quota(1000);
        let a2 = KvNamespace::scoped(store.clone(), "acme", "two")
            .unwrap()
            .with_quota(1000);
        let b = KvNamespace::scoped(store.clone(), "beta", "one")
            .unwrap()
            .with_quota(1000);
        a.put("k", vec![0; 600], None, None, None).await.unwrap();
        // The tenant's namespaces share the quota; another tenant's does not count.
        let err = a2
            .put("k", vec![0; 600], None, None, None)
            .await
            .unwrap_err();
        assert!(err.contains("KV quota exceeded"), "{err}");
        b.put("k", vec![0; 600], None, None, None).await.unwrap();
        // Overwriting with less, and deleting, give bytes back.
        a.put("k", vec![0; 100], None, None, None).await.unwrap();
        a2.put("k", vec![0; 600], None, None, None).await.unwrap();
        a2.delete("k").await.unwrap();
        assert_eq!(
            store.group_bytes("acme").unwrap(),
            stored_bytes(
                "k",
                &KvEntry {
                    value: vec![0; 100],
                    metadata: None,
                    expiration: None
                }
            )
        );
        // Scoped names cannot be reached from an unscoped one, nor another scope's.
        assert!(KvNamespace::new(store.clone(), "acme:one").is_err());
        assert!(KvNamespace::scoped(store.clone(), "ac:me", "one").is_err());
        let plain = KvNamespace::new(store.clone(), "one").unwrap();
        assert_eq!(plain.get("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn quotas_are_per_scope_on_both_stores() {
        quotas(MemoryKv::new()).await;
        let dir =
            std::env::temp_dir().join(format!("wasm-sandbox-kv-quota-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        quotas(FileKv::open(&dir.join("kv.redb")).unwrap()).await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn memory_and_file_stores_list_alike() {
        listing(MemoryKv::new()).await;
        let dir = std::env::temp_dir().join(format!("wasm-sandbox-kv-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        listing(FileKv::open(&dir.join("kv.redb")).unwrap()).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
