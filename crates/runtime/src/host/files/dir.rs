//! Files: a directory the supervisor lends a worker (`env.FILES.read(path)`), read-only or
//! read-write with a byte quota.
//!
//! The directory is opened once as a capability (`cap_std::fs::Dir`); every path is resolved
//! inside it by cap-std, which refuses `..` that climbs out, absolute paths and symlinks that lead
//! outside. Paths are checked here as well (relative, no NUL, no empty components) so that the
//! errors are clear. Operations run on tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use serde_json::{json, Value};

/// How a files binding may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilesMode {
    /// `read` and `list` only.
    ReadOnly,
    /// Also `write` and `delete`, within the quota.
    ReadWrite,
}

/// A directory lent to workers.
#[derive(Clone)]
pub struct FilesBinding {
    inner: Arc<Inner>,
}

struct Inner {
    dir: Dir,
    root: PathBuf,
    mode: FilesMode,
    quota_bytes: u64,
    /// Files and folders the directory (with a shared quota: the shared root) may hold.
    max_entries: std::sync::atomic::AtomicU64,
    /// Serializes writes, so that the quota check and the write are one step.
    write_lock: Mutex<()>,
    /// A quota shared with other bindings (a tenant's), checked as well.
    shared: Option<SharedQuota>,
}

/// A directory whose whole content is capped (a tenant's root, holding the directories of all
/// its files bindings).
struct SharedQuota {
    dir: Dir,
    bytes: u64,
    /// One lock per shared root in the process, so that writes through different bindings
    /// check and write one at a time.
    lock: Arc<Mutex<()>>,
}

fn shared_lock(root: &Path) -> Arc<Mutex<()>> {
    static LOCKS: Mutex<Option<std::collections::HashMap<PathBuf, Arc<Mutex<()>>>>> =
        Mutex::new(None);
    let mut locks = LOCKS.lock().unwrap();
    locks
        .get_or_insert_with(Default::default)
        .entry(root.to_owned())
        .or_default()
        .clone()
}

impl std::fmt::Debug for FilesBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilesBinding")
            .field("root", &self.inner.root)
            .field("mode", &self.inner.mode)
            .field("quota_bytes", &self.inner.quota_bytes)
            .finish()
    }
}

/// Most entries one walk of the directory (for the quota) or one `list` looks at.
const MAX_ENTRIES: usize = 100_000;

/// Files and folders a directory may hold unless [`FilesBinding::with_max_entries`] says.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;

impl FilesBinding {
    /// Lend `root` (created if missing) with `mode`; writes may bring the directory's total size
    /// up to `quota_bytes`.
    pub fn open(root: &Path, mode: FilesMode, quota_bytes: u64) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", root.display()))?;
        Ok(FilesBinding {
            inner: Arc::new(Inner {
                dir,
                root: root.to_owned(),
                mode,
                quota_bytes,
                max_entries: DEFAULT_MAX_ENTRIES.into(),
                write_lock: Mutex::new(()),
                shared: None,
            }),
        })
    }

    /// Lend `root/name` (created if missing) with `mode` and `quota_bytes`, where everything
    /// under `root` together may also not exceed `total_bytes` (a tenant's files quota across
    /// all its directories).
    pub fn open_within(
        root: &Path,
        name: &str,
        mode: FilesMode,
        quota_bytes: u64,
        total_bytes: u64,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !name.is_empty() && Path::new(name).components().count() == 1 && !name.starts_with('.'),
            "directory name {name:?} must be one path component"
        );
        let mut binding = FilesBinding::open(&root.join(name), mode, quota_bytes)?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", root.display()))?;
        let inner = Arc::get_mut(&mut binding.inner).expect("just made");
        inner.shared = Some(SharedQuota {
            dir,
            bytes: total_bytes,
            lock: shared_lock(root),
        });
        Ok(binding)
    }

    /// Cap the files and folders the directory may hold (with
    /// [`open_within`](Self::open_within): everything under the shared root together) at
    /// `entries` (default [`DEFAULT_MAX_ENTRIES`]; at most 100,000, the most a quota check reads).
    /// (Clones of a binding share the cap.)
    pub fn with_max_entries(self, entries: u64) -> Self {
        self.inner.max_entries.store(
            entries.min(MAX_ENTRIES as u64),
            std::sync::atomic::Ordering::Relaxed,
        );
        self
    }

    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<R, String> + Send + 'static,
    ) -> Result<R, String> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| format!("FILES: the operation failed: {e}"))?
    }

    /// The file's bytes, or `None` if there is no such file.
    pub async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let path = wasm_sandbox_spec::boundary::files_path(path, false)?;
        self.blocking(move |i| match i.dir.read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, e)),
        })
        .await
    }

    /// Write `data` to `path` (parents created), within the quota.
    pub async fn write(&self, path: &str, data: Vec<u8>) -> Result<(), String> {
        let path = wasm_sandbox_spec::boundary::files_path(path, false)?;
        self.blocking(move |i| {
            i.writable()?;
            let _guard = i.write_lock.lock().unwrap();
            let _shared_guard = i.shared.as_ref().map(|q| q.lock.lock().unwrap());
            let existing = match i.dir.metadata(&path) {
                Ok(m) if m.is_dir() => {
                    return Err(format!("FILES.write(): {} is a directory", path.display()))
                }
                Ok(m) => m.len(),
                Err(_) => 0,
            };
            let (used, entries) = usage(&i.dir)?;
            // A new file adds an entry, and so does each folder its parents need.
            let new_entries = if exists(&i.dir, &path) {
                0
            } else {
                path.ancestors()
                    .filter(|p| !p.as_os_str().is_empty() && !exists(&i.dir, p))
                    .count() as u64
            };
            let shared = match &i.shared {
                Some(q) => Some((q, usage(&q.dir)?)),
                None => None,
            };
            let shared_entries = shared.map_or(entries, |(_, (_, n))| n);
            let max_entries = i.max_entries.load(std::sync::atomic::Ordering::Relaxed);
            if shared_entries + new_entries > max_entries {
                return Err(format!(
                    "FILES.write(): at most {} files and folders are allowed ({} exist; writing {} would add {})",
                    max_entries,
                    shared_entries,
                    path.display(),
                    new_entries
                ));
            }
            let after = used - existing.min(used) + data.len() as u64;
            if after > i.quota_bytes {
                return Err(format!(
                    "FILES.write(): the quota of {} bytes would be exceeded ({} used, writing {} bytes to {})",
                    i.quota_bytes,
                    used,
                    data.len(),
                    path.display()
                ));
            }
            if let Some((q, (total, _))) = shared {
                let after = total - existing.min(total) + data.len() as u64;
                if after > q.bytes {
                    return Err(format!(
                        "FILES.write(): the tenant's files quota of {} bytes would be exceeded ({} used across its directories, writing {} bytes to {})",
                        q.bytes,
                        total,
                        data.len(),
                        path.display()
                    ));
                }
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                i.dir
                    .create_dir_all(parent)
                    .map_err(|e| io_error("write", &path, e))?;
            }
            i.dir.write(&path, &data).map_err(|e| io_error("write", &path, e))
        })
        .await
    }

    /// The entries of directory `path` (`""`: the root), sorted by name.
    pub async fn list(&self, path: &str) -> Result<Value, String> {
        let path = wasm_sandbox_spec::boundary::files_path(path, true)?;
        self.blocking(move |i| {
            let entries = if path.as_os_str().is_empty() {
                i.dir.entries()
            } else {
                i.dir.read_dir(&path)
            }
            .map_err(|e| io_error("list", &path, e))?;
            let mut out = Vec::new();
            for entry in entries.take(MAX_ENTRIES) {
                let entry = entry.map_err(|e| io_error("list", &path, e))?;
                let meta = entry.metadata().map_err(|e| io_error("list", &path, e))?;
                let ft = entry.file_type().map_err(|e| io_error("list", &path, e))?;
                // Symlinks are listed as such (following one that leads out is refused).
                let kind = if ft.is_symlink() {
                    "symlink"
                } else if meta.is_dir() {
                    "directory"
                } else {
                    "file"
                };
                out.push(json!({
                    "name": entry.file_name().to_string_lossy(),
                    "type": kind,
                    "size": if meta.is_dir() { 0 } else { meta.len() },
                }));
            }
            out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            Ok(Value::Array(out))
        })
        .await
    }

    /// Delete a file or an empty directory.
    pub async fn delete(&self, path: &str) -> Result<(), String> {
        let path = wasm_sandbox_spec::boundary::files_path(path, false)?;
        self.blocking(move |i| {
            i.writable()?;
            let meta = i
                .dir
                .symlink_metadata(&path)
                .map_err(|e| io_error("delete", &path, e))?;
            if meta.is_dir() {
                i.dir.remove_dir(&path)
            } else {
                i.dir.remove_file(&path)
            }
            .map_err(|e| io_error("delete", &path, e))
        })
        .await
    }
}

impl Inner {
    fn writable(&self) -> Result<(), String> {
        match self.mode {
            FilesMode::ReadWrite => Ok(()),
            FilesMode::ReadOnly => Err("FILES: this directory is read-only".into()),
        }
    }
}

/// Whether `path` names anything (a symlink counts, followed or not).
fn exists(dir: &Dir, path: &Path) -> bool {
    dir.symlink_metadata(path).is_ok()
}

/// Total size of the files under `dir`, and how many entries (files, folders, links) there are
/// (symlinks are not followed).
fn usage(dir: &Dir) -> Result<(u64, u64), String> {
    let mut total = 0u64;
    let mut stack = vec![dir.try_clone().map_err(|e| e.to_string())?];
    let mut seen = 0usize;
    while let Some(d) = stack.pop() {
        for entry in d.entries().map_err(|e| e.to_string())? {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err("FILES: too many entries to check the quota".into());
            }
            let entry = entry.map_err(|e| e.to_string())?;
            let ft = entry.file_type().map_err(|e| e.to_string())?;
            if ft.is_dir() {
                stack.push(entry.open_dir().map_err(|e| e.to_string())?);
            } else if ft.is_file() {
                total += entry.metadata().map_err(|e| e.to_string())?.len();
            }
        }
    }
    Ok((total, seen as u64))
}

fn io_error(op: &str, path: &Path, e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("FILES.{op}(): {} does not exist", path.display()),
        std::io::ErrorKind::PermissionDenied => {
            format!(
                "FILES.{op}(): {} is outside the lent directory or not permitted",
                path.display()
            )
        }
        _ => format!("FILES.{op}(): {}: {e}", path.display()),
    }
}
