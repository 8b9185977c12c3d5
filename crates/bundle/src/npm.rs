//! npm packages: versions chosen from registry metadata, tarballs fetched once, verified against
//! their `dist.integrity`, kept by hash under the cache directory and reused by every worker and
//! after restarts. Install scripts never run; nothing is unpacked to disk.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::{BundleError, ErrorKind};
use crate::fetch::{self, FetchError};
use crate::manifest::Json;
use crate::semver::{Range, Version};
use crate::tarball;

/// The files of one package, by path relative to its root.
pub type PackageFiles = BTreeMap<String, Vec<u8>>;

/// Where packages come from and what may be pulled in (the daemon's `[npm]` table).
#[derive(Debug, Clone)]
pub struct NpmConfig {
    /// Registry base URL (default `https://registry.npmjs.org`).
    pub registry: String,
    /// Sent as `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
    /// Never touch the network: only what the cache holds (a missing package is an error
    /// naming it).
    pub offline: bool,
    /// Package names (or `@scope/*`) code may pull in; empty: any.
    pub allow: Vec<String>,
    /// The cache directory (`<data dir>/npm`).
    pub cache_dir: PathBuf,
    /// How long fetched metadata is fresh before it is asked for again.
    pub metadata_ttl: Duration,
    /// Time for one metadata or tarball fetch.
    pub fetch_timeout: Duration,
    /// Largest metadata document accepted.
    pub max_metadata_bytes: u64,
    /// Largest tarball accepted (compressed).
    pub max_tarball_bytes: u64,
    /// What one package may unpack to.
    pub unpack: tarball::Limits,
    /// Most packages one worker may pull in.
    pub max_packages: usize,
}

impl NpmConfig {
    /// Defaults with the cache under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        NpmConfig {
            registry: "https://registry.npmjs.org".into(),
            token: None,
            offline: false,
            allow: Vec::new(),
            cache_dir: cache_dir.into(),
            metadata_ttl: Duration::from_secs(300),
            fetch_timeout: Duration::from_secs(30),
            max_metadata_bytes: 32 * 1024 * 1024,
            max_tarball_bytes: 32 * 1024 * 1024,
            unpack: tarball::Limits::default(),
            max_packages: 500,
        }
    }
}

/// Whether `name` is a valid npm package name (lowercase, URL-safe, optionally `@scope/name`).
/// Checked before a name reaches a URL or a path.
pub fn valid_name(name: &str) -> bool {
    fn part(s: &str) -> bool {
        !s.is_empty()
            && !s.starts_with('.')
            && !s.starts_with('_')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~".contains(&b))
    }
    if name.len() > 214 {
        return false;
    }
    match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, n)) => part(scope) && part(n),
            None => false,
        },
        None => part(name),
    }
}

/// One version of a package as the registry describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Tarball URL.
    pub tarball: String,
    /// `dist.integrity` (SRI).
    pub integrity: String,
}

/// What is kept of a package's registry metadata: its versions' tarballs and its dist-tags.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Packument {
    /// version → tarball and integrity.
    pub versions: BTreeMap<String, VersionInfo>,
    /// `latest` and friends.
    pub dist_tags: BTreeMap<String, String>,
}

/// A package chosen for a worker, unpacked.
#[derive(Debug, Clone)]
pub struct Package {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its tarball's SRI.
    pub integrity: String,
    /// Its `package.json`.
    pub manifest: Arc<Json>,
    /// Its files.
    pub files: Arc<PackageFiles>,
    /// Its dependencies, by name → index among the install's packages.
    pub deps: BTreeMap<String, usize>,
}

impl Package {
    /// `name@version#integrity`: one line of a worker's lock record.
    pub fn lock_line(&self) -> String {
        format!("{}@{}#{}", self.name, self.version, self.integrity)
    }
}

/// The packages a worker's `package.json` pulls in.
#[derive(Debug, Clone, Default)]
pub struct Install {
    /// Every package, deduplicated by (name, version).
    pub packages: Vec<Package>,
    /// The root's dependencies: name → index.
    pub root: BTreeMap<String, usize>,
}

impl Install {
    /// The lock record: `name@version#integrity`, sorted.
    pub fn lock(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.packages.iter().map(Package::lock_line).collect();
        lines.sort();
        lines
    }
}

/// A lock line parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// Package name.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// Tarball SRI.
    pub integrity: String,
}

/// Parse `name@version#integrity`.
pub fn parse_lock_line(line: &str) -> Result<Locked, String> {
    let (spec, integrity) = line
        .split_once('#')
        .ok_or_else(|| format!("lock entry {line:?} is not name@version#integrity"))?;
    let bad = || format!("lock entry {line:?} is not name@version#integrity");
    // `@` after the first byte (a scoped name starts with one); `get` never panics on odd input.
    let at = spec
        .get(1..)
        .and_then(|rest| rest.find('@'))
        .map(|i| i + 1)
        .ok_or_else(bad)?;
    let (name, version) = (&spec[..at], &spec[at + 1..]);
    let version = Version::parse(version).map_err(|_| bad())?;
    if !valid_name(name) || integrity.is_empty() || integrity.len() > 1024 {
        return Err(bad());
    }
    Ok(Locked {
        name: name.into(),
        // Canonical (`v1.0.0` and `=1.0.0` are `1.0.0`): one version, one package.
        version: version.to_string(),
        integrity: integrity.into(),
    })
}

/// The npm client: metadata and tarballs through the cache.
pub struct Npm {
    config: NpmConfig,
    packuments: Mutex<HashMap<String, (SystemTime, Arc<Packument>)>>,
    unpacked: Mutex<Unpacked>,
}

/// Unpacked packages kept in memory by integrity, least recently used dropped past a byte budget.
#[derive(Default)]
struct Unpacked {
    /// By `name@version#integrity`: the name and version are part of the key, so a lock line
    /// cannot pass one package's unpacked files off as another's.
    by_integrity: HashMap<String, (u64, Arc<Json>, Arc<PackageFiles>)>,
    order: VecDeque<String>,
    bytes: u64,
}

const UNPACKED_BUDGET: u64 = 256 * 1024 * 1024;

/// Registry metadata documents kept in memory (the disk cache keeps them all).
const MAX_PACKUMENTS_IN_MEMORY: usize = 2048;

fn err(kind: ErrorKind, message: impl Into<String>) -> BundleError {
    BundleError::new(kind, message)
}

impl Npm {
    /// A client over `config`'s registry and cache.
    pub fn new(config: NpmConfig) -> Npm {
        Npm {
            config,
            packuments: Mutex::new(HashMap::new()),
            unpacked: Mutex::new(Unpacked::default()),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &NpmConfig {
        &self.config
    }

    fn check_allowed(&self, name: &str, wanted_by: &str) -> Result<(), BundleError> {
        if !valid_name(name) {
            return Err(err(
                ErrorKind::Invalid,
                format!("{name:?} (wanted by {wanted_by}) is not a valid npm package name"),
            ));
        }
        if self.config.allow.is_empty() {
            return Ok(());
        }
        let allowed = self
            .config
            .allow
            .iter()
            .any(|pattern| match pattern.strip_suffix("/*") {
                Some(scope) => name.strip_prefix(scope).is_some_and(|r| r.starts_with('/')),
                None => pattern == name,
            });
        if allowed {
            Ok(())
        } else {
            Err(err(
                ErrorKind::Forbidden,
                format!(
                    "package `{name}` (wanted by {wanted_by}) is not allowed here: the operator's [npm] allow list is {}",
                    self.config.allow.join(", ")
                ),
            ))
        }
    }

    fn meta_path(&self, name: &str) -> PathBuf {
        self.config
            .cache_dir
            .join("meta")
            .join(format!("{}.json", name.replace('/', "%2f")))
    }

    fn tarball_path(&self, integrity: &str) -> PathBuf {
        use sha2::Digest;
        // Named by a hash of the SRI string: a fixed-length, path-safe name.
        let key = hex::encode(sha2::Sha256::digest(integrity.as_bytes()));
        self.config
            .cache_dir
            .join("tarballs")
            .join(format!("{key}.tgz"))
    }

    /// A package's metadata: from memory or disk while fresh (always, offline), else fetched.
    pub async fn packument(
        &self,
        name: &str,
        wanted_by: &str,
    ) -> Result<Arc<Packument>, BundleError> {
        self.check_allowed(name, wanted_by)?;
        let now = SystemTime::now();
        let fresh = |at: SystemTime| {
            self.config.offline
                || now.duration_since(at).unwrap_or_default() < self.config.metadata_ttl
        };
        if let Some((at, p)) = self.packuments.lock().expect("lock").get(name) {
            if fresh(*at) {
                return Ok(p.clone());
            }
        }
        let path = self.meta_path(name);
        let on_disk = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|at| {
                let text = std::fs::read(&path).ok()?;
                let p: Packument = serde_json::from_slice(&text).ok()?;
                Some((at, Arc::new(p)))
            });
        if let Some((at, p)) = &on_disk {
            if fresh(*at) {
                self.packuments
                    .lock()
                    .expect("lock")
                    .insert(name.into(), (*at, p.clone()));
                return Ok(p.clone());
            }
        }
        if self.config.offline {
            return Err(err(
                ErrorKind::NotFound,
                format!("package `{name}` (wanted by {wanted_by}) is not in the package cache and [npm] offline = true; an operator can add it with `wasm-sandbox deps add {name}`"),
            ));
        }
        let url = format!(
            "{}/{}",
            self.config.registry.trim_end_matches('/'),
            name.replace('/', "%2f")
        );
        let body = match fetch::get(
            &url,
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
            self.config.token.as_deref(),
            self.config.max_metadata_bytes,
            self.config.fetch_timeout,
        )
        .await
        {
            Ok(b) => b,
            Err(FetchError::NotFound) => {
                return Err(err(
                    ErrorKind::NotFound,
                    format!("unknown package `{name}` (wanted by {wanted_by}): the registry {} has no such package", self.config.registry),
                ))
            }
            Err(FetchError::Failed(m)) => {
                // A stale copy beats no copy when the registry is unreachable.
                if let Some((_, p)) = on_disk {
                    tracing::warn!(package = name, error = %m, "registry unreachable; using cached metadata");
                    return Ok(p);
                }
                return Err(err(ErrorKind::Registry, format!("fetching metadata of `{name}`: {m}")));
            }
        };
        let packument = parse_packument(name, &body)?;
        let packument = Arc::new(packument);
        if let Ok(text) = serde_json::to_vec(&*packument) {
            write_atomic(&path, &text);
        }
        let mut memo = self.packuments.lock().expect("lock");
        // Bounded: a flood of names cannot grow it without end (the disk copy stays).
        if memo.len() >= MAX_PACKUMENTS_IN_MEMORY {
            memo.clear();
        }
        memo.insert(name.into(), (now, packument.clone()));
        Ok(packument)
    }

    /// The version of `name` to use for `range`: the `latest` tag if it satisfies the range,
    /// else the highest version that does (npm's choice). A dist-tag is also accepted.
    pub fn choose(
        &self,
        name: &str,
        range: &str,
        packument: &Packument,
        wanted_by: &str,
    ) -> Result<String, BundleError> {
        if let Some(v) = packument.dist_tags.get(range) {
            return Ok(v.clone());
        }
        let parsed = Range::parse(range).map_err(|e| {
            err(
                ErrorKind::Invalid,
                format!("`{name}`: {e} (wanted by {wanted_by}; only registry versions, ranges and dist-tags are supported)"),
            )
        })?;
        if let Some(latest) = packument.dist_tags.get("latest") {
            if let Ok(v) = Version::parse(latest) {
                if parsed.satisfies(&v) && packument.versions.contains_key(latest) {
                    return Ok(latest.clone());
                }
            }
        }
        match parsed.max_satisfying(packument.versions.keys().map(String::as_str)) {
            Some(v) => Ok(v.to_string()),
            None => {
                let mut newest: Vec<&String> = packument.versions.keys().collect();
                newest.sort_by(|a, b| Version::parse(b).ok().cmp(&Version::parse(a).ok()));
                Err(err(
                    ErrorKind::NotFound,
                    format!(
                        "no version of `{name}` matches {range:?} (wanted by {wanted_by}); the newest are {}",
                        newest.iter().take(5).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        }
    }

    /// A package's files by integrity: memory, then the on-disk cache (verified again), then
    /// the registry (verified before it is stored).
    pub async fn unpack(
        &self,
        name: &str,
        version: &str,
        integrity: &str,
        tarball_url: Option<&str>,
    ) -> Result<(Arc<Json>, Arc<PackageFiles>), BundleError> {
        let memo_key = format!("{name}@{version}#{integrity}");
        if let Some((_, m, f)) = self
            .unpacked
            .lock()
            .expect("lock")
            .by_integrity
            .get(&memo_key)
        {
            return Ok((m.clone(), f.clone()));
        }
        let what = format!("{name}@{version}");
        let path = self.tarball_path(integrity);
        // Reading, hashing, gunzip and JSON are CPU work: off the async threads.
        let cached = {
            let (path, what, integrity) = (path.clone(), what.clone(), integrity.to_string());
            tokio::task::spawn_blocking(move || {
                std::fs::read(&path)
                    .ok()
                    .filter(|b| tarball::verify_integrity(&what, b, &integrity).is_ok())
            })
            .await
            .ok()
            .flatten()
        };
        let (bytes, fresh) = match cached {
            Some(b) => (b, false),
            None => {
                if self.config.offline {
                    return Err(err(
                        ErrorKind::NotFound,
                        format!("package `{what}` is not in the package cache and [npm] offline = true; an operator can add it with `wasm-sandbox deps add {name}@{version}`"),
                    ));
                }
                let registry = self.config.registry.trim_end_matches('/');
                let base = name.rsplit('/').next().unwrap_or(name);
                let default_url = format!("{registry}/{name}/-/{base}-{version}.tgz");
                let url = tarball_url.unwrap_or(&default_url);
                // The registry's metadata names the tarball's URL: it must be on the registry's
                // own origin (the token goes nowhere else, and the daemon fetches nothing else).
                if !same_origin(url, registry) {
                    return Err(err(
                        ErrorKind::Registry,
                        format!("the registry gives `{what}` a tarball URL on another origin ({}); only the registry's own origin is fetched from", origin_of(url)),
                    ));
                }
                let bytes = fetch::get(
                    url,
                    "application/octet-stream",
                    self.config.token.as_deref(),
                    self.config.max_tarball_bytes,
                    self.config.fetch_timeout,
                )
                .await
                .map_err(|e| match e {
                    FetchError::NotFound => err(
                        ErrorKind::NotFound,
                        format!("the tarball of `{what}` is missing from the registry"),
                    ),
                    FetchError::Failed(m) => {
                        err(ErrorKind::Registry, format!("fetching `{what}`: {m}"))
                    }
                })?;
                (bytes, true)
            }
        };
        let unpack = self.config.unpack;
        let (name_owned, version_owned, integrity_owned) =
            (name.to_string(), version.to_string(), integrity.to_string());
        let (manifest, files, bytes) = tokio::task::spawn_blocking(move || {
            let what = format!("{name_owned}@{version_owned}");
            if fresh {
                tarball::verify_integrity(&what, &bytes, &integrity_owned)
                    .map_err(|m| err(ErrorKind::Integrity, m))?;
            }
            let files =
                tarball::extract(&what, &bytes, &unpack).map_err(|m| err(ErrorKind::Invalid, m))?;
            let manifest = files
                .get("package.json")
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|t| Json::parse(t).ok())
                .ok_or_else(|| {
                    err(
                        ErrorKind::Invalid,
                        format!("`{what}` has no readable package.json"),
                    )
                })?;
            // The bytes must be the package asked for: a lock line or a registry cannot pass
            // off one package's tarball (say, one the allow list admits) as another's.
            let same_version = manifest
                .get_str("version")
                .and_then(|v| Version::parse(v).ok())
                .map(|v| v.to_string())
                == Some(version_owned.clone());
            if manifest.get_str("name") != Some(name_owned.as_str()) || !same_version {
                return Err(err(
                    ErrorKind::Integrity,
                    format!(
                        "the tarball for `{what}` holds {}@{}",
                        manifest.get_str("name").unwrap_or("(no name)"),
                        manifest.get_str("version").unwrap_or("(no version)")
                    ),
                ));
            }
            Ok((manifest, files, bytes))
        })
        .await
        .map_err(|e| {
            err(
                ErrorKind::Invalid,
                format!("unpacking `{what}` failed: {e}"),
            )
        })??;
        if fresh {
            write_atomic(&path, &bytes);
        }
        let size: u64 = files.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        let manifest = Arc::new(manifest);
        let files = Arc::new(files);
        let mut cache = self.unpacked.lock().expect("lock");
        if !cache.by_integrity.contains_key(&memo_key) {
            cache.bytes += size;
            cache.order.push_back(memo_key.clone());
            cache
                .by_integrity
                .insert(memo_key, (size, manifest.clone(), files.clone()));
        }
        while cache.bytes > UNPACKED_BUDGET && cache.order.len() > 1 {
            if let Some(old) = cache.order.pop_front() {
                if let Some((s, _, _)) = cache.by_integrity.remove(&old) {
                    cache.bytes -= s;
                }
            }
        }
        Ok((manifest, files))
    }

    /// Resolve and fetch everything `deps` (name → range) pull in. With `lock` (lines from an
    /// earlier install), locked versions are used wherever they satisfy the range, and their
    /// tarballs come from the cache by integrity: no metadata is needed.
    /// At most `max_bytes` of package files are unpacked for one install (counted as each
    /// package arrives, not after).
    pub async fn install(
        &self,
        deps: &[(String, String)],
        lock: &[Locked],
        deadline: tokio::time::Instant,
        max_bytes: u64,
    ) -> Result<Install, BundleError> {
        let mut install = Install::default();
        let mut unpacked_bytes = 0u64;
        // Every dependency edge asks for a version, skipped optional ones included: bounded.
        let mut lookups = 0usize;
        let max_lookups = self.config.max_packages.saturating_mul(4).max(64);
        let mut by_key: HashMap<(String, String), usize> = HashMap::new();
        // (parent index or None for the root, dep name, range, optional)
        let mut queue: VecDeque<(Option<usize>, String, String, bool)> = deps
            .iter()
            .map(|(n, r)| (None, n.clone(), r.clone(), false))
            .collect();
        while let Some((parent, name, range, optional)) = queue.pop_front() {
            if tokio::time::Instant::now() > deadline {
                return Err(err(
                    ErrorKind::Timeout,
                    "installing the packages took longer than the bundle time limit",
                ));
            }
            let wanted_by = match parent {
                None => "package.json".to_string(),
                Some(p) => format!(
                    "{}@{}",
                    install.packages[p].name, install.packages[p].version
                ),
            };
            let range = range.trim().to_string();
            lookups += 1;
            if lookups > max_lookups {
                return Err(err(
                    ErrorKind::Invalid,
                    format!("the worker's dependencies ask for more than {max_lookups} package versions"),
                ));
            }
            let result = self
                .pick(&name, &range, &wanted_by, lock, &install, &by_key)
                .await;
            let (version, integrity, url) = match result {
                Ok(x) => x,
                Err(e) if optional => {
                    tracing::debug!(package = %name, error = %e, "optional dependency skipped");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let key = (name.clone(), version.clone());
            let index = match by_key.get(&key) {
                Some(i) => *i,
                None => {
                    if install.packages.len() >= self.config.max_packages {
                        return Err(err(
                            ErrorKind::Invalid,
                            format!(
                                "the worker pulls in more than {} packages",
                                self.config.max_packages
                            ),
                        ));
                    }
                    let (manifest, files) = self
                        .unpack(&name, &version, &integrity, url.as_deref())
                        .await?;
                    unpacked_bytes += files.values().map(|f| f.len() as u64).sum::<u64>();
                    if unpacked_bytes > max_bytes {
                        return Err(err(
                            ErrorKind::Invalid,
                            format!("the packages unpack to more than {max_bytes} bytes (at {name}@{version})"),
                        ));
                    }
                    let index = install.packages.len();
                    for (n, r) in manifest.string_map("dependencies") {
                        queue.push_back((Some(index), n, r, false));
                    }
                    for (n, r) in manifest.string_map("optionalDependencies") {
                        queue.push_back((Some(index), n, r, true));
                    }
                    let optional_peers: Vec<String> = match manifest.get("peerDependenciesMeta") {
                        Some(Json::Object(m)) => m
                            .iter()
                            .filter(|(_, v)| matches!(v.get("optional"), Some(Json::Bool(true))))
                            .map(|(k, _)| k.clone())
                            .collect(),
                        _ => Vec::new(),
                    };
                    for (n, r) in manifest.string_map("peerDependencies") {
                        let opt = optional_peers.contains(&n);
                        queue.push_back((Some(index), n, r, opt));
                    }
                    install.packages.push(Package {
                        name: name.clone(),
                        version: version.clone(),
                        integrity,
                        manifest,
                        files,
                        deps: BTreeMap::new(),
                    });
                    by_key.insert(key, index);
                    index
                }
            };
            match parent {
                None => {
                    install.root.insert(name, index);
                }
                Some(p) => {
                    install.packages[p].deps.entry(name).or_insert(index);
                }
            }
        }
        Ok(install)
    }

    async fn pick(
        &self,
        name: &str,
        range: &str,
        wanted_by: &str,
        lock: &[Locked],
        install: &Install,
        by_key: &HashMap<(String, String), usize>,
    ) -> Result<(String, String, Option<String>), BundleError> {
        self.check_allowed(name, wanted_by)?;
        for prefix in [
            "file:",
            "link:",
            "git",
            "http:",
            "https:",
            "npm:",
            "workspace:",
            "github:",
        ] {
            if range.starts_with(prefix) {
                return Err(err(
                    ErrorKind::Invalid,
                    format!("`{name}`: {range:?} (wanted by {wanted_by}) is not supported: only registry versions, ranges and dist-tags are"),
                ));
            }
        }
        let parsed = Range::parse(range).ok();
        let satisfies = |v: &str| match (&parsed, Version::parse(v)) {
            (Some(r), Ok(v)) => r.satisfies(&v),
            _ => false,
        };
        // A version already chosen that fits is shared (npm's deduplication): the highest, so
        // that the choice does not depend on map order.
        let chosen = by_key
            .iter()
            .filter(|((n, v), _)| n == name && satisfies(v))
            .max_by(|a, b| {
                Version::parse(&a.0 .1)
                    .ok()
                    .cmp(&Version::parse(&b.0 .1).ok())
            });
        if let Some(((_, v), index)) = chosen {
            return Ok((v.clone(), install.packages[*index].integrity.clone(), None));
        }
        // A locked version that fits needs no metadata.
        let mut locked: Vec<&Locked> = lock
            .iter()
            .filter(|l| l.name == name && satisfies(&l.version))
            .collect();
        locked.sort_by(|a, b| {
            Version::parse(&b.version)
                .ok()
                .cmp(&Version::parse(&a.version).ok())
        });
        if let Some(l) = locked.first() {
            return Ok((l.version.clone(), l.integrity.clone(), None));
        }
        let packument = self.packument(name, wanted_by).await?;
        let version = self.choose(name, range, &packument, wanted_by)?;
        let info = packument.versions.get(&version).ok_or_else(|| {
            err(
                ErrorKind::NotFound,
                format!("`{name}@{version}` is not in the registry's metadata"),
            )
        })?;
        Ok((version, info.integrity.clone(), Some(info.tarball.clone())))
    }
}

fn parse_packument(name: &str, body: &[u8]) -> Result<Packument, BundleError> {
    #[derive(Deserialize)]
    struct Dist {
        tarball: Option<String>,
        integrity: Option<String>,
    }
    #[derive(Deserialize)]
    struct V {
        dist: Option<Dist>,
    }
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        versions: BTreeMap<String, V>,
        #[serde(default, rename = "dist-tags")]
        dist_tags: BTreeMap<String, String>,
    }
    let doc: Doc = serde_json::from_slice(body).map_err(|e| {
        err(
            ErrorKind::Registry,
            format!("the registry's metadata for `{name}` is not valid: {e}"),
        )
    })?;
    let mut out = Packument {
        dist_tags: doc.dist_tags,
        ..Packument::default()
    };
    for (version, v) in doc.versions {
        if Version::parse(&version).is_err() {
            continue;
        }
        // A version without an SRI integrity cannot be verified, so it is never offered.
        if let Some(Dist {
            tarball: Some(tarball),
            integrity: Some(integrity),
        }) = v.dist
        {
            out.versions
                .insert(version, VersionInfo { tarball, integrity });
        }
    }
    Ok(out)
}

/// `scheme://host:port` of a URL (for messages: no user info, no path).
fn origin_of(url: &str) -> String {
    match url.parse::<http::Uri>() {
        Ok(u) => format!(
            "{}://{}:{}",
            u.scheme_str().unwrap_or("?"),
            u.host().unwrap_or("?"),
            u.port_u16().unwrap_or(if u.scheme_str() == Some("https") {
                443
            } else {
                80
            })
        ),
        Err(_) => "an unparseable URL".into(),
    }
}

/// Whether two URLs share scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    a.parse::<http::Uri>().is_ok() && origin_of(a) == origin_of(b)
}

/// Write `bytes` to `path` through a temporary file and a rename, so a reader never sees half a
/// file. A failure is logged, not fatal: the cache is an optimization.
fn write_atomic(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    let tmp = dir.join(format!(
        ".tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, bytes))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        tracing::warn!(path = %path.display(), error = %e, "could not write to the package cache");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_they_reach_a_path() {
        for ok in ["hono", "@hono/node-server", "date-fns", "a.b_c~d", "x1"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "", "../etc", "a/b", "@scope", "@scope/", "@/x", ".hidden", "Upper", "a b", "@s/../x",
            "%2e%2e",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn lock_lines_round_trip() {
        let l = parse_lock_line("@scope/pkg@1.2.3-beta.1#sha512-abc").unwrap();
        assert_eq!(
            (l.name.as_str(), l.version.as_str(), l.integrity.as_str()),
            ("@scope/pkg", "1.2.3-beta.1", "sha512-abc")
        );
        assert!(parse_lock_line("pkg@latest#sha512-x").is_err());
        assert!(parse_lock_line("../x@1.0.0#sha512-x").is_err());
        assert!(parse_lock_line("pkg@1.0.0").is_err());
        // Odd input is an error, never a panic.
        for odd in ["#x", "é@1.0.0#x", "@#", "@", "", "@é@1.0.0#x", "pkg@#"] {
            assert!(parse_lock_line(odd).is_err(), "{odd:?}");
        }
        assert_eq!(
            parse_lock_line("pkg@v1.0.0#sha512-x").unwrap().version,
            "1.0.0"
        );
    }
}
