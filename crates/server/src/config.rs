//! The daemon's configuration: a TOML file whose every setting has a documented default; flags
//! override it. Checked (with errors that say how to fix them) before the port is bound.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Everything `wasm-sandbox serve` can be told. Defaults (what an absent key means):
///
/// ```toml
/// listen = "127.0.0.1:8787"          # address to listen on
/// data_dir = "~/.local/share/wasm-sandbox"  # registry database (and later: KV, files)
/// # token = "..."                    # single-tenant auth: every route that runs code or reads
/// #                                  # worker data needs `Authorization: Bearer <token>`
/// #                                  # (or set WASM_SANDBOX_TOKEN); required (or [[tenants]])
/// #                                  # when `listen` is not a loopback address
/// max_concurrent_requests = 256      # requests in flight at once (running or waiting on I/O);
///                                    # beyond: 503 + Retry-After
/// max_in_flight_per_tenant = 32      # requests one tenant may have in flight; beyond: 429
/// max_connections_per_client = 128   # open connections per client IP; beyond: closed at once
/// max_body_bytes = 10485760          # request body limit (10 MiB); beyond: 413
/// max_reply_mb = 32                  # largest worker response a reply carries; beyond: 502
///                                    # (/workers/{id}/...) or 400 (/api/run)
/// header_read_timeout_ms = 10000     # a client must send its headers within this
/// body_read_timeout_ms = 30000       # ...and its body within this (else 408), read before the
///                                    # request takes a slot
/// min_upload_bytes_per_sec = 16384   # after the first 2 s, a body arriving slower is a 408
/// drain_ms = 0                       # on SIGINT/SIGTERM, /healthz answers 503 this long first
///                                    # (requests still served) so balancers stop sending
/// shutdown_grace_ms = 10000          # ...then the listener closes and in-flight requests get
///                                    # this long
/// # replica = "host-1"               # this replica's name on /metrics, /usage and /healthz
///                                    # (default: $WASM_SANDBOX_REPLICA, else the host name)
/// http_threads = 0                   # threads serving connections, each with its own event loop
///                                    # (0: one per core)
/// compatibility_date = "2026-11-01"  # default compatibilityDate for /api/run
/// clock = "frozen"                   # what Date.now()/performance.now() show: "frozen" (time
///                                    # moves only while a script waits, as on Cloudflare),
///                                    # "coarse" (100 µs steps) or "precise"
///
/// [limits]                           # per-request defaults for every worker
/// cpu_ms = 50
/// memory_mb = 128
/// wall_ms = 30000
///
/// [ceilings]                         # what a worker's own `limits` may ask for, at most
/// cpu_ms = 1000
/// memory_mb = 512
/// wall_ms = 120000
///
/// [outbound]                         # ceilings on every worker's globalOutbound
/// allow = ["*://*:*"]                # no worker may reach beyond these rules (Spin syntax)
/// allow_private = []                 # CIDRs of private/special addresses workers may opt in to
/// max_subrequests = 50               # outbound requests per incoming request (redirects count)
/// timeout_ms = 30000                 # per fetch: connect + headers + body
/// max_response_mb = 16               # response body per fetch
/// max_total_mb = 64                  # all responses of one request together
///
/// [quotas]                           # storage per tenant (the implicit one included)
/// kv_mb = 128                        # bytes its KV namespaces may hold together
/// files_mb = 128                     # bytes its files directories may hold together
/// files_entries = 10000              # files and folders they may hold together
/// workers = 1000                     # workers it may register (PUT /workers/{id})
///
/// # [[tenants]]                      # several tenants, each with its own token and names
/// # name = "acme"                    # 1-32 characters of a-z 0-9 _ -
/// # token_sha256 = "<64 hex>"        # SHA-256 of its token: `wasm-sandbox token` makes a pair
/// # ceilings = { cpu_ms = 200, memory_mb = 128, wall_ms = 10000 }  # within [ceilings]
/// # kv_quota_mb = 64                 # default: [quotas] kv_mb
/// # files_quota_mb = 64              # default: [quotas] files_mb
/// # max_in_flight = 16               # default: max_in_flight_per_tenant
/// # outbound_allow = ["https://api.acme.example"]  # narrows [outbound] allow for its workers
/// # outbound_allow_private = []
/// # files_max_entries = 1000         # default: [quotas] files_entries
/// # max_workers = 100                # default: [quotas] workers
/// # tools_callbacks = ["http://127.0.0.1:9000/acme/"]  # replaces [tools] callbacks for it
///
/// [tools]                            # Code Mode tool bindings with an HTTP callback
/// callbacks = []                     # URL prefixes a tools binding's `url` may start with
///                                    # (none by default: no callbacks), e.g.
///                                    # ["http://127.0.0.1:9000/tools/"]
/// timeout_ms = 30000                 # per tool call
///
/// [npm]                              # npm packages for `{"files": ...}` workers
/// registry = "https://registry.npmjs.org"  # where packages come from
/// # token = "..."                    # sent as `Authorization: Bearer` to the registry
/// offline = false                    # true: only the package cache (<data dir>/npm); a
///                                    # missing package is a 400 naming it
/// allow = []                         # package names / "@scope/*" code may pull in (empty: any)
/// metadata_ttl_s = 300               # registry metadata reused this long before re-asking
/// fetch_timeout_ms = 30000           # per metadata or tarball fetch
/// max_metadata_mb = 32               # largest metadata document accepted
/// max_tarball_mb = 32                # largest tarball accepted (compressed)
/// max_packages = 500                 # packages one worker may pull in
/// bundle_timeout_ms = 60000          # one bundle, registry included
/// max_concurrent_bundles = 2         # bundles at once; more wait up to bundle_timeout_ms
///
/// [engine]
/// max_instances = 1000               # sandboxes alive at once (pooling allocator slots)
/// cache_max_workers = 1000           # workers kept warm by /api/get and the registry
/// cache_max_mb = 2048                # memory those warm workers may hold
/// warm_instances_per_worker = 2        # default: the number of cores, at most 8
/// max_running = 0                    # sandboxes executing at once (0: one per core); one that
///                                    # waits on a timer or I/O holds none
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:8787`).
    pub listen: String,
    /// Where the registry, KV store, npm cache and files live (default: `~/.local/share/wasm-sandbox`).
    pub data_dir: Option<PathBuf>,
    /// A bearer token every request must carry (none: no auth, loopback use only).
    pub token: Option<String>,
    /// Requests admitted at once across all tenants; more get 503.
    pub max_concurrent_requests: usize,
    /// Requests one tenant may have in flight at once.
    pub max_in_flight_per_tenant: usize,
    /// Connections one client address may hold open.
    pub max_connections_per_client: usize,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest reply a worker may send, MiB.
    pub max_reply_mb: u64,
    /// Time allowed to receive a request's headers, ms.
    pub header_read_timeout_ms: u64,
    /// Time allowed to receive a request's body, ms.
    pub body_read_timeout_ms: u64,
    /// Slowest upload accepted (bytes per second) once a body has started.
    pub min_upload_bytes_per_sec: u64,
    /// How long `/healthz` fails (503, `draining`) after a shutdown signal before the listener
    /// closes, ms: a balancer or Kubernetes stops sending before connections are refused.
    pub drain_ms: u64,
    /// How long in-flight requests may finish after the listener closed, ms.
    pub shutdown_grace_ms: u64,
    /// This replica's name (a `replica` label on metrics, a field of `/usage` and `/healthz`);
    /// default: `WASM_SANDBOX_REPLICA` (e.g. the pod's name), else the host name.
    pub replica: Option<String>,
    /// Connection threads (0: one per core).
    pub http_threads: usize,
    /// The Workers compatibility date this daemon implements.
    pub compatibility_date: String,
    /// What `Date.now()` and timers see (`frozen`, `coarse`, `precise`).
    pub clock: ClockConfig,
    /// Default limits of a worker (`cpuMs`, `memoryMb`, `wallMs`).
    pub limits: LimitsConfig,
    /// The most a worker may ask for.
    pub ceilings: LimitsConfig,
    /// Outbound HTTP: the host-wide allow-list ceiling and per-request limits.
    pub outbound: OutboundConfig,
    /// Code Mode tools: where callbacks may go.
    pub tools: ToolsConfig,
    /// The npm registry, cache and bundle limits.
    pub npm: NpmSettings,
    /// The sandbox pool and the worker cache.
    pub engine: EngineConfig,
    /// Default per-tenant quotas.
    pub quotas: QuotasConfig,
    /// The tenants and their tokens (none: one anonymous tenant).
    pub tenants: Vec<TenantConfig>,
    /// Where the registry and KV live (`[store]`).
    pub store: StoreConfig,
}

/// The `[store]` table: where the registry and KV live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `redb` (embedded files under the data dir; one machine) or `postgres` (shared by
    /// replicas).
    pub backend: StoreBackend,
    /// The Postgres URL (`postgres://user:password@host:5432/db`); the environment's
    /// `WASM_SANDBOX_DATABASE_URL` wins, so the password need not be in the file.
    pub url: Option<String>,
    /// Pooled connections to Postgres.
    pub max_connections: usize,
    /// How often expired KV entries are deleted from Postgres, seconds (they are invisible to
    /// readers from their expiry on either way).
    pub reap_interval_s: u64,
    /// Certificates (PEM) trusted for Postgres' TLS certificate besides the public roots (a
    /// managed database's CA, a self-signed server). TLS itself is the URL's `sslmode`.
    pub ca_file: Option<PathBuf>,
    /// How long a replica reuses a registry record without asking Postgres, ms: the bound on
    /// serving a worker replaced on another replica when that replica's notification was missed
    /// (normally it arrives within milliseconds). 0: ask on every request.
    pub recheck_ms: u64,
}

/// The store's backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// Embedded redb files under the data dir.
    #[default]
    Redb,
    /// A Postgres database shared by replicas.
    Postgres,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: StoreBackend::Redb,
            url: None,
            max_connections: 16,
            reap_interval_s: 60,
            ca_file: None,
            recheck_ms: 1000,
        }
    }
}

/// The `[npm]` table: where `{"files": ...}` workers' packages come from, and the bundle
/// step's bounds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NpmSettings {
    /// The registry's base URL.
    pub registry: String,
    /// A token sent to the registry's origin only.
    pub token: Option<String>,
    /// Never contact the registry: only cached packages.
    pub offline: bool,
    /// Packages that may be installed (empty: any).
    pub allow: Vec<String>,
    /// How long package metadata is reused before it is fetched again, seconds.
    pub metadata_ttl_s: u64,
    /// Time allowed for one registry request, ms.
    pub fetch_timeout_ms: u64,
    /// Largest package metadata document, MiB.
    pub max_metadata_mb: u64,
    /// Largest package tarball, MiB.
    pub max_tarball_mb: u64,
    /// Most packages one bundle may install.
    pub max_packages: usize,
    /// Time allowed for one bundle step, ms.
    pub bundle_timeout_ms: u64,
    /// Bundle steps run at once.
    pub max_concurrent_bundles: usize,
}

impl Default for NpmSettings {
    fn default() -> Self {
        NpmSettings {
            registry: "https://registry.npmjs.org".into(),
            token: None,
            offline: false,
            allow: Vec::new(),
            metadata_ttl_s: 300,
            fetch_timeout_ms: 30_000,
            max_metadata_mb: 32,
            max_tarball_mb: 32,
            max_packages: 500,
            bundle_timeout_ms: 60_000,
            max_concurrent_bundles: 2,
        }
    }
}

impl ServerConfig {
    /// The bundle step's configuration: the `[npm]` table, the cache under `<data dir>/npm`.
    pub fn bundle_config(&self) -> wasm_sandbox::BundleConfig {
        let n = &self.npm;
        let mut npm = wasm_sandbox::NpmConfig::new(self.data_dir().join("npm"));
        npm.registry = n.registry.clone();
        npm.token = n.token.clone();
        npm.offline = n.offline;
        npm.allow = n.allow.clone();
        npm.metadata_ttl = Duration::from_secs(n.metadata_ttl_s);
        npm.fetch_timeout = Duration::from_millis(n.fetch_timeout_ms);
        npm.max_metadata_bytes = n.max_metadata_mb << 20;
        npm.max_tarball_bytes = n.max_tarball_mb << 20;
        npm.max_packages = n.max_packages;
        wasm_sandbox::BundleConfig {
            npm: Some(npm),
            time_limit: Duration::from_millis(n.bundle_timeout_ms),
            max_concurrent: n.max_concurrent_bundles,
            ..Default::default()
        }
    }
}

/// The `clock` setting.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClockConfig {
    /// Clocks move only while the script waits, as on Cloudflare (the default).
    #[default]
    Frozen,
    /// Real time in 100 µs steps.
    Coarse,
    /// The host's clocks.
    Precise,
}

/// Storage quotas per tenant.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotasConfig {
    /// KV bytes a tenant may store, MiB.
    pub kv_mb: u64,
    /// File bytes a tenant may store across its directories, MiB.
    pub files_mb: u64,
    /// Files and directories a tenant may create.
    pub files_entries: u64,
    /// Workers a tenant may register.
    pub workers: usize,
}

impl Default for QuotasConfig {
    fn default() -> Self {
        QuotasConfig {
            kv_mb: 128,
            files_mb: 128,
            files_entries: 10_000,
            workers: 1_000,
        }
    }
}

/// One `[[tenants]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The tenant's name (its namespace for KV, files and worker ids).
    pub name: String,
    /// SHA-256 of the tenant's bearer token, hex.
    pub token_sha256: String,
    /// Limits above the daemon's ceilings for this tenant.
    #[serde(default)]
    pub ceilings: Option<LimitsConfig>,
    /// This tenant's KV quota, MiB.
    #[serde(default)]
    pub kv_quota_mb: Option<u64>,
    /// This tenant's files quota, MiB.
    #[serde(default)]
    pub files_quota_mb: Option<u64>,
    /// Requests this tenant may have in flight at once.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    /// The hosts this tenant's workers may reach (narrows the daemon's ceiling).
    #[serde(default)]
    pub outbound_allow: Option<Vec<String>>,
    /// The private ranges this tenant's workers may reach.
    #[serde(default)]
    pub outbound_allow_private: Option<Vec<String>>,
    /// Files and directories this tenant may create.
    #[serde(default)]
    pub files_max_entries: Option<u64>,
    /// Workers this tenant may register.
    #[serde(default)]
    pub max_workers: Option<usize>,
    /// Where this tenant's tool callbacks may go.
    #[serde(default)]
    pub tools_callbacks: Option<Vec<String>>,
}

/// Where tool bindings may call back to (the daemon makes these requests itself, so nothing is
/// allowed unless listed here).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ToolsConfig {
    /// URL prefixes (`http://host:port/path/`) a tools binding's callback URL must start with.
    pub callbacks: Vec<String>,
    /// Time allowed for one tool callback, ms.
    pub timeout_ms: u64,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        ToolsConfig {
            callbacks: Vec::new(),
            timeout_ms: 30_000,
        }
    }
}

/// Daemon-wide outbound ceilings and limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// The host-wide ceiling: what any worker's allow-list is narrowed to.
    pub allow: Vec<String>,
    /// Private ranges (CIDR) workers may reach.
    pub allow_private: Vec<String>,
    /// Outbound requests one incoming request may make.
    pub max_subrequests: u32,
    /// Time allowed per fetch, ms.
    pub timeout_ms: u64,
    /// Largest response body one fetch may receive, MiB.
    pub max_response_mb: u64,
    /// Bytes all fetches of one request may receive together, MiB.
    pub max_total_mb: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        let d = wasm_sandbox::OutboundLimits::default();
        OutboundConfig {
            allow: vec!["*://*:*".into()],
            allow_private: Vec::new(),
            max_subrequests: d.max_subrequests,
            timeout_ms: d.timeout.as_millis() as u64,
            max_response_mb: d.max_response_bytes >> 20,
            max_total_mb: d.max_total_bytes >> 20,
        }
    }
}

impl OutboundConfig {
    /// The ceiling every worker's allow-list is narrowed by.
    pub fn ceiling(&self) -> Result<wasm_sandbox::OutboundPolicy> {
        wasm_sandbox::OutboundPolicy::new(&self.allow, &self.allow_private)
            .map_err(|e| anyhow::anyhow!("[outbound] {e}"))
    }

    /// The runtime's per-request outbound limits.
    pub fn limits(&self) -> wasm_sandbox::OutboundLimits {
        wasm_sandbox::OutboundLimits {
            max_subrequests: self.max_subrequests,
            timeout: Duration::from_millis(self.timeout_ms),
            max_response_bytes: self.max_response_mb << 20,
            max_total_bytes: self.max_total_mb << 20,
        }
    }
}

/// A token must be long and not trivially guessable: at least 16 characters, no whitespace, at
/// least 8 distinct characters.
fn check_token(t: &str) -> Result<()> {
    if t.chars().count() < 16 {
        bail!(
            "token is {} characters long: use at least 16 random characters",
            t.chars().count()
        );
    }
    if t.chars().any(char::is_whitespace) {
        bail!("token contains whitespace: use 16 or more random, printable characters (e.g. `wasm-sandbox token`)");
    }
    let distinct: std::collections::HashSet<char> = t.chars().collect();
    if distinct.len() < 8 {
        bail!("token uses only {} distinct characters: use random characters (e.g. `wasm-sandbox token`)", distinct.len());
    }
    Ok(())
}

/// Per-request limits, in friendly units.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// CPU time per request, ms.
    pub cpu_ms: u64,
    /// Linear memory, MiB.
    pub memory_mb: u64,
    /// Wall time per request, ms.
    pub wall_ms: u64,
}

/// The sandbox pool and the worker cache (`[engine]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Sandboxes alive at once (the pooling allocator's slots).
    pub max_instances: u32,
    /// Workers kept in the cache.
    pub cache_max_workers: usize,
    /// Footprint of the cached workers, MiB.
    pub cache_max_mb: u64,
    /// Idle instances each worker keeps warm.
    pub warm_instances_per_worker: usize,
    /// Sandboxes executing guest code at once (0: one per core).
    pub max_running: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8787".into(),
            data_dir: None,
            token: None,
            max_concurrent_requests: 256,
            max_in_flight_per_tenant: 32,
            max_connections_per_client: 128,
            max_body_bytes: 10 * 1024 * 1024,
            max_reply_mb: 32,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            min_upload_bytes_per_sec: 16 * 1024,
            drain_ms: 0,
            shutdown_grace_ms: 10_000,
            replica: None,
            http_threads: 0,
            compatibility_date: "2026-11-01".into(),
            clock: ClockConfig::Frozen,
            limits: LimitsConfig::default(),
            ceilings: LimitsConfig {
                cpu_ms: 1_000,
                memory_mb: 512,
                wall_ms: 120_000,
            },
            outbound: OutboundConfig::default(),
            tools: ToolsConfig::default(),
            npm: NpmSettings::default(),
            engine: EngineConfig::default(),
            quotas: QuotasConfig::default(),
            tenants: Vec::new(),
            store: StoreConfig::default(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let d = wasm_sandbox::Limits::default();
        LimitsConfig {
            cpu_ms: d.cpu_time.as_millis() as u64,
            memory_mb: d.memory_bytes >> 20,
            wall_ms: d.wall_time.as_millis() as u64,
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        let d = wasm_sandbox::Config::default();
        EngineConfig {
            max_instances: d.max_instances,
            cache_max_workers: d.cache_max_workers,
            cache_max_mb: d.cache_max_bytes >> 20,
            warm_instances_per_worker: d.warm_instances_per_worker,
            max_running: d.max_running,
        }
    }
}

impl LimitsConfig {
    /// As the runtime's limits.
    pub fn to_limits(self) -> wasm_sandbox::Limits {
        to_limits(self.into())
    }
}

impl From<LimitsConfig> for LimitValues {
    fn from(l: LimitsConfig) -> Self {
        LimitValues {
            cpu_ms: l.cpu_ms,
            memory_mb: l.memory_mb,
            wall_ms: l.wall_ms,
        }
    }
}

pub use wasm_sandbox_spec::run::LimitValues;

/// Limits in the daemon's units (ms, MiB) as the runtime's [`Limits`](wasm_sandbox::Limits):
/// the one place these units are converted.
pub fn to_limits(v: LimitValues) -> wasm_sandbox::Limits {
    wasm_sandbox::Limits {
        cpu_time: Duration::from_millis(v.cpu_ms),
        memory_bytes: v.memory_mb << 20,
        wall_time: Duration::from_millis(v.wall_ms),
    }
}

impl ServerConfig {
    /// Read a TOML file (absent keys take their defaults).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the config file {}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "config file {}: {}\n(every key is optional; see `wasm-sandbox serve --help` and the README for the settings and their defaults)",
                path.display(),
                e.to_string().trim_end()
            )
        })
    }

    /// The data directory: the configured one, else `$XDG_DATA_HOME/wasm-sandbox`, else
    /// `$HOME/.local/share/wasm-sandbox`, else `./wasm-sandbox-data`.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
            return PathBuf::from(d).join("wasm-sandbox");
        }
        if let Some(h) = std::env::var_os("HOME") {
            return PathBuf::from(h).join(".local/share/wasm-sandbox");
        }
        PathBuf::from("wasm-sandbox-data")
    }

    /// This replica's name: `replica` (checked by [`validate`](Self::validate)), else
    /// `$WASM_SANDBOX_REPLICA`, else the host name — those two made fit (characters other than
    /// `A-Za-z0-9._-` become `-`, at most 63), since the daemon does not choose them.
    pub fn replica_name(&self) -> String {
        if let Some(r) = &self.replica {
            return r.clone();
        }
        let found = std::env::var("WASM_SANDBOX_REPLICA")
            .ok()
            .filter(|r| !r.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
            })
            .unwrap_or_default();
        let fit: String = found
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .take(63)
            .collect();
        if fit.is_empty() {
            "wasm-sandbox".to_owned()
        } else {
            fit
        }
    }

    /// Check everything; the error says what is wrong and how to fix it.
    pub fn validate(&self) -> Result<SocketAddr> {
        let addr: SocketAddr = self.listen.parse().with_context(|| {
            format!(
                "listen = {:?} is not an address: use IP:PORT, e.g. 127.0.0.1:8787 or [::1]:8787 (port 0 picks a free port)",
                self.listen
            )
        })?;
        if !addr.ip().is_loopback()
            && self.token.as_deref().unwrap_or("").is_empty()
            && self.tenants.is_empty()
        {
            bail!(
                "refusing to listen on {addr} without a token: the API must be authenticated beyond loopback. \
                 Set `token` in the config file or WASM_SANDBOX_TOKEN (or configure [[tenants]]), or listen on 127.0.0.1"
            );
        }
        if let Some(t) = &self.token {
            check_token(t)?;
        }
        if self.store.backend == StoreBackend::Postgres && self.store.url.is_none() {
            bail!("[store] backend = \"postgres\" needs `url` (or WASM_SANDBOX_DATABASE_URL)");
        }
        let replica = self.replica_name();
        if replica.is_empty()
            || replica.len() > 63
            || !replica
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            bail!(
                "replica = {replica:?}: 1-63 characters of A-Z a-z 0-9 . _ - (it labels metrics)"
            );
        }
        if self.store.reap_interval_s == 0 {
            bail!("[store] reap_interval_s must be at least 1");
        }
        match self.npm.registry.parse::<http::Uri>() {
            Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some() => {}
            _ => bail!(
                "[npm] registry = {:?}: use an http(s) URL, e.g. https://registry.npmjs.org",
                self.npm.registry
            ),
        }
        for pattern in &self.npm.allow {
            let name = pattern.strip_suffix("/*").unwrap_or(pattern);
            let ok = if pattern.ends_with("/*") {
                name.starts_with('@') && wasm_sandbox::bundle::npm::valid_name(&format!("{name}/x"))
            } else {
                wasm_sandbox::bundle::npm::valid_name(name)
            };
            if !ok {
                bail!("[npm] allow: {pattern:?} is neither a package name nor \"@scope/*\"");
            }
        }
        if self.npm.bundle_timeout_ms == 0 || self.npm.fetch_timeout_ms == 0 {
            bail!("[npm] bundle_timeout_ms and fetch_timeout_ms must be above 0");
        }
        let mut names = std::collections::HashSet::new();
        for t in &self.tenants {
            let ok = !t.name.is_empty()
                && t.name.len() <= 32
                && t.name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !ok {
                bail!(
                    "[[tenants]] name = {:?}: use 1-32 characters of a-z 0-9 _ -",
                    t.name
                );
            }
            if t.name == "default" || !names.insert(t.name.as_str()) {
                bail!("[[tenants]] name = {:?} is reserved or used twice", t.name);
            }
            if t.token_sha256.len() != 64 || hex::decode(&t.token_sha256).is_err() {
                bail!(
                    "tenant {:?}: token_sha256 must be the 64 hex digits of the token's SHA-256 (`wasm-sandbox token` prints a token and its hash)",
                    t.name
                );
            }
            if let Some(c) = t.ceilings {
                for (name, v) in [
                    ("cpu_ms", c.cpu_ms),
                    ("memory_mb", c.memory_mb),
                    ("wall_ms", c.wall_ms),
                ] {
                    if v == 0 {
                        bail!(
                            "tenant {:?}: ceilings.{name} = 0: it must be at least 1",
                            t.name
                        );
                    }
                }
            }
        }
        crate::tenants::Tenants::from_config(self)?;
        let positive = |name: &str, v: u64| -> Result<()> {
            if v == 0 {
                bail!("{name} = 0: it must be at least 1");
            }
            Ok(())
        };
        positive(
            "max_concurrent_requests",
            self.max_concurrent_requests as u64,
        )?;
        positive(
            "max_in_flight_per_tenant",
            self.max_in_flight_per_tenant as u64,
        )?;
        positive(
            "max_connections_per_client",
            self.max_connections_per_client as u64,
        )?;
        positive("max_reply_mb", self.max_reply_mb)?;
        positive("quotas.workers", self.quotas.workers as u64)?;
        positive("quotas.files_entries", self.quotas.files_entries)?;
        for t in &self.tenants {
            if let Some(n) = t.max_workers {
                positive(&format!("tenant {:?}: max_workers", t.name), n as u64)?;
            }
            if let Some(n) = t.files_max_entries {
                positive(&format!("tenant {:?}: files_max_entries", t.name), n)?;
            }
        }
        positive("max_body_bytes", self.max_body_bytes as u64)?;
        positive("header_read_timeout_ms", self.header_read_timeout_ms)?;
        positive("body_read_timeout_ms", self.body_read_timeout_ms)?;
        positive("engine.max_instances", self.engine.max_instances as u64)?;
        positive(
            "engine.cache_max_workers",
            self.engine.cache_max_workers as u64,
        )?;
        for (section, l) in [("limits", self.limits), ("ceilings", self.ceilings)] {
            positive(&format!("{section}.cpu_ms"), l.cpu_ms)?;
            positive(&format!("{section}.memory_mb"), l.memory_mb)?;
            positive(&format!("{section}.wall_ms"), l.wall_ms)?;
        }
        for (name, limit, ceiling) in [
            ("cpu_ms", self.limits.cpu_ms, self.ceilings.cpu_ms),
            ("memory_mb", self.limits.memory_mb, self.ceilings.memory_mb),
            ("wall_ms", self.limits.wall_ms, self.ceilings.wall_ms),
        ] {
            if limit > ceiling {
                bail!("limits.{name} = {limit} is above ceilings.{name} = {ceiling}: lower the limit or raise the ceiling");
            }
        }
        self.outbound.ceiling()?;
        positive(
            "outbound.max_subrequests",
            self.outbound.max_subrequests as u64,
        )?;
        positive("outbound.timeout_ms", self.outbound.timeout_ms)?;
        positive("outbound.max_response_mb", self.outbound.max_response_mb)?;
        positive("outbound.max_total_mb", self.outbound.max_total_mb)?;
        if self.engine.max_instances as usize <= self.max_concurrent_requests {
            bail!(
                "engine.max_instances = {} must be larger than max_concurrent_requests = {} (warm workers hold instances too)",
                self.engine.max_instances,
                self.max_concurrent_requests
            );
        }
        if self.http_threads > 256 {
            bail!(
                "http_threads = {} is more than 256: use about one per core (0 picks that)",
                self.http_threads
            );
        }
        Ok(addr)
    }

    /// How many connection threads to run (`http_threads`, 0 = one per core).
    pub fn http_threads(&self) -> usize {
        match self.http_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// The runtime configuration this daemon config implies.
    pub fn engine_config(&self) -> wasm_sandbox::Config {
        wasm_sandbox::Config {
            limits: self.limits.to_limits(),
            max_memory_per_instance: self.ceilings.memory_mb << 20,
            max_instances: self.engine.max_instances,
            cache_max_workers: self.engine.cache_max_workers,
            cache_max_bytes: self.engine.cache_max_mb << 20,
            warm_instances_per_worker: self.engine.warm_instances_per_worker,
            max_running: self.engine.max_running,
            // validate() has checked it parses.
            outbound_ceiling: self.outbound.ceiling().ok(),
            outbound_limits: self.outbound.limits(),
            clock: match self.clock {
                ClockConfig::Frozen => wasm_sandbox::Clock::Frozen,
                ClockConfig::Coarse => wasm_sandbox::Clock::Coarse,
                ClockConfig::Precise => wasm_sandbox::Clock::Precise,
            },
            ..wasm_sandbox::Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_loopback() {
        let c = ServerConfig::default();
        let addr = c.validate().unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(addr.port(), 8787);
        assert_eq!(c.engine_config().limits, wasm_sandbox::Limits::default());
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(c.http_threads(), cores);
        let three: ServerConfig = toml::from_str("http_threads = 3").unwrap();
        assert_eq!(three.http_threads(), 3);
    }

    #[test]
    fn replica_names() {
        // Given in the file: used as is, and refused when it cannot label a metric.
        let named: ServerConfig = toml::from_str("replica = \"r-1.a_b\"").unwrap();
        assert_eq!(named.replica_name(), "r-1.a_b");
        named.validate().unwrap();
        for bad in ["", "has space", "quote\\\"", &"x".repeat(64)] {
            let c = ServerConfig {
                replica: Some(bad.to_owned()),
                ..ServerConfig::default()
            };
            assert!(c.validate().is_err(), "{bad:?}");
        }
        // Found (environment, host name): made to fit, never refused.
        let found = ServerConfig::default().replica_name();
        assert!(!found.is_empty() && found.len() <= 63, "{found:?}");
        ServerConfig::default().validate().unwrap();
    }

    #[test]
    fn partial_files_take_defaults() {
        let c: ServerConfig = toml::from_str(
            "max_body_bytes = 5\n[limits]\ncpu_ms = 10\nmemory_mb = 64\nwall_ms = 100\n",
        )
        .unwrap();
        assert_eq!(c.max_body_bytes, 5);
        assert_eq!(c.limits.cpu_ms, 10);
        assert_eq!(c.listen, "127.0.0.1:8787");
        c.validate().unwrap();
    }

    #[test]
    fn errors_say_how_to_fix() {
        let check = |text: &str, expected: &str| {
            let err = match toml::from_str::<ServerConfig>(text) {
                Err(e) => e.to_string(),
                Ok(c) => c.validate().unwrap_err().to_string(),
            };
            assert!(err.contains(expected), "{text:?}: {err}");
        };
        check("listen = \"0.0.0.0:80\"", "without a token");
        check("listen = \"0.0.0.0:80\"\ntoken = \"short\"", "at least 16");
        check("token = \"                \"", "whitespace");
        check("token = \"aaaaaaaaaaaaaaaaaaaa\"", "distinct");
        check(
            "[[tenants]]\nname = \"Acme!\"\ntoken_sha256 = \"00\"",
            "a-z 0-9",
        );
        check(
            "[[tenants]]\nname = \"acme\"\ntoken_sha256 = \"00\"",
            "64 hex digits",
        );
        check("listen = \"localhost\"", "IP:PORT");
        check("http_threads = 1000", "one per core");
        check(
            "[ceilings]\ncpu_ms = 10\nmemory_mb = 64\nwall_ms = 100",
            "above ceilings",
        );
        check("bogus = 1", "unknown field");
        check("[outbound]\nallow = [\"api.example.com\"]", "https://");
        check("[outbound]\nallow_private = [\"10.0.0.1/8\"]", "10.0.0.0/8");
        check("[outbound]\ntimeout_ms = 0", "outbound.timeout_ms");
        check("max_body_bytes = \"big\"", "invalid type");
        check("clock = \"fast\"", "frozen");
        let ok: ServerConfig =
            toml::from_str("listen = \"0.0.0.0:0\"\ntoken = \"0123456789abcdef\"").unwrap();
        ok.validate().unwrap();
    }
}
