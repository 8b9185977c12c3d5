//! Principals: who is calling, and what they may reach.
//!
//! The caller of `/api/run`, `/api/get`, the registry, the tail and `/usage` is a *supervisor*
//! acting for a [`Tenant`]. With auth configured (a `token`, or `[[tenants]]`), every such route
//! needs `Authorization: Bearer <token>`; the token names the tenant. Without auth (loopback
//! only) there is one implicit tenant for local development.
//!
//! A tenant has its own id space (`/api/get/{id}`, `/workers/{id}` and their tails and metering
//! are per tenant), its own KV namespaces (stored as `tenant:namespace`, counted in the tenant's
//! KV quota), its own files directories (`<data dir>/tenant-files/<tenant>/<dir>`, counted in
//! its files quota) and its own ceilings (limits, outbound, requests in flight). A tenant can
//! never name another's namespace, directory or worker: names are scoped on the daemon, the
//! tenant only ever gives the part after its scope.
//!
//! The implicit tenant, and the one `token` names (single-tenant deployments), is *unscoped*:
//! its ids, namespaces and directories are stored as they were before tenants existed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasm_sandbox::OutboundPolicy;

use crate::config::{LimitsConfig, ServerConfig};

/// One tenant, as configured.
#[derive(Debug)]
pub struct Tenant {
    /// Its name (`default` for the unscoped tenant).
    pub name: String,
    /// Whether its names are scoped (`name/id`, `name:namespace`, `tenant-files/name/`).
    scoped: bool,
    /// What a worker's own `limits` may ask for, at most.
    pub ceilings: LimitsConfig,
    /// Bytes its KV namespaces may hold together.
    pub kv_quota_bytes: u64,
    /// Bytes its files directories may hold together.
    pub files_quota_bytes: u64,
    /// Requests it may run at once (beyond: 429).
    pub max_in_flight: usize,
    /// Narrows every worker's outbound allow-list (on top of the daemon's `[outbound]`).
    pub outbound: Option<OutboundPolicy>,
    /// Files and folders its files directories may hold together.
    pub files_max_entries: u64,
    /// Workers it may register.
    pub max_workers: usize,
    /// Where its tools bindings may call back (`None`: the daemon's `[tools] callbacks`).
    pub tools_callbacks: Option<Vec<String>>,
    in_flight: AtomicUsize,
    /// Tail Worker deliveries in flight for this tenant's workers.
    tails_in_flight: AtomicUsize,
}

/// Tail Worker deliveries one tenant may have in flight (beyond: dropped and counted).
pub const MAX_TAIL_DELIVERIES_PER_TENANT: usize = 8;

/// One tail delivery counted against its tenant until dropped.
pub struct TailSlot(Arc<Tenant>);

impl Drop for TailSlot {
    fn drop(&mut self) {
        self.0.tails_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One request counted against its tenant until dropped.
pub struct InFlight(Arc<Tenant>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Tenant {
    /// The key of worker `id` in the registry, the loader's cache and the metering.
    pub fn scoped_id(&self, id: &str) -> String {
        if self.scoped {
            format!("{}/{id}", self.name)
        } else {
            id.to_owned()
        }
    }

    /// The prefix of its keys in the registry (`None`: unscoped, its keys have no `/`).
    pub fn key_prefix(&self) -> Option<&str> {
        self.scoped.then_some(self.name.as_str())
    }

    /// The worker id of a scoped key, if it is this tenant's.
    pub fn own_id<'a>(&self, scoped: &'a str) -> Option<&'a str> {
        if self.scoped {
            scoped
                .strip_prefix(self.name.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
        } else {
            (!scoped.contains('/')).then_some(scoped)
        }
    }

    /// The KV namespace `name` as this tenant sees it.
    pub fn kv(
        &self,
        store: &Arc<dyn wasm_sandbox::kv::KvStore>,
        name: &str,
    ) -> anyhow::Result<wasm_sandbox::kv::KvNamespace> {
        let ns = if self.scoped {
            wasm_sandbox::kv::KvNamespace::scoped(store.clone(), &self.name, name)?
        } else {
            wasm_sandbox::kv::KvNamespace::new(store.clone(), name)?
        };
        Ok(ns.with_quota(self.kv_quota_bytes))
    }

    /// The folder holding this tenant's files directories.
    pub fn files_root(&self, config: &ServerConfig) -> std::path::PathBuf {
        if self.scoped {
            config.data_dir().join("tenant-files").join(&self.name)
        } else {
            config.data_dir().join("files")
        }
    }

    /// Count one more Tail Worker delivery, or refuse (`None`) at the tenant's cap.
    pub fn enter_tail(self: &Arc<Self>) -> Option<TailSlot> {
        self.tails_in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_TAIL_DELIVERIES_PER_TENANT).then_some(n + 1)
            })
            .ok()
            .map(|_| TailSlot(self.clone()))
    }

    /// Count one more request in flight, or refuse (`None`) at the tenant's cap.
    pub fn enter(self: &Arc<Self>) -> Option<InFlight> {
        let max = self.max_in_flight;
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(self.clone()))
    }
}

/// Every tenant of the daemon, and how a request is matched to one.
pub struct Tenants {
    /// The tenant of requests without credentials (auth not configured).
    open: Option<Arc<Tenant>>,
    /// SHA-256 of each token, and its tenant.
    tokens: Vec<([u8; 32], Arc<Tenant>)>,
}

/// Why a request has no tenant.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token no tenant has.
    Unknown,
}

/// SHA-256 of a token, as `token_sha256` holds it.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tenants {
    /// The tenants `config` describes (checked by `ServerConfig::validate`).
    pub fn from_config(config: &ServerConfig) -> anyhow::Result<Tenants> {
        let unscoped = || -> anyhow::Result<Arc<Tenant>> {
            Ok(Arc::new(Tenant {
                name: "default".into(),
                scoped: false,
                ceilings: config.ceilings,
                kv_quota_bytes: config.quotas.kv_mb << 20,
                files_quota_bytes: config.quotas.files_mb << 20,
                max_in_flight: config.max_in_flight_per_tenant,
                outbound: None,
                files_max_entries: config.quotas.files_entries,
                max_workers: config.quotas.workers,
                tools_callbacks: None,
                in_flight: AtomicUsize::new(0),
                tails_in_flight: AtomicUsize::new(0),
            }))
        };
        let mut tokens = Vec::new();
        let token = config.token.as_deref().filter(|t| !t.is_empty());
        if let Some(t) = token {
            tokens.push((token_hash(t), unscoped()?));
        }
        for t in &config.tenants {
            let hash: [u8; 32] = hex::decode(&t.token_sha256)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("tenant {:?}: token_sha256 must be 64 hex digits", t.name)
                })?;
            let outbound = match (&t.outbound_allow, &t.outbound_allow_private) {
                (None, None) => None,
                (allow, private) => Some(
                    OutboundPolicy::new(
                        allow.as_deref().unwrap_or(&[]),
                        private.as_deref().unwrap_or(&[]),
                    )
                    .map_err(|e| anyhow::anyhow!("tenant {:?}: outbound_allow: {e}", t.name))?,
                ),
            };
            let ceilings = t.ceilings.unwrap_or(config.ceilings);
            tokens.push((
                hash,
                Arc::new(Tenant {
                    name: t.name.clone(),
                    scoped: true,
                    ceilings: LimitsConfig {
                        cpu_ms: ceilings.cpu_ms.min(config.ceilings.cpu_ms),
                        memory_mb: ceilings.memory_mb.min(config.ceilings.memory_mb),
                        wall_ms: ceilings.wall_ms.min(config.ceilings.wall_ms),
                    },
                    kv_quota_bytes: t.kv_quota_mb.unwrap_or(config.quotas.kv_mb) << 20,
                    files_quota_bytes: t.files_quota_mb.unwrap_or(config.quotas.files_mb) << 20,
                    max_in_flight: t.max_in_flight.unwrap_or(config.max_in_flight_per_tenant),
                    outbound,
                    files_max_entries: t.files_max_entries.unwrap_or(config.quotas.files_entries),
                    max_workers: t.max_workers.unwrap_or(config.quotas.workers),
                    tools_callbacks: t.tools_callbacks.clone(),
                    in_flight: AtomicUsize::new(0),
                    tails_in_flight: AtomicUsize::new(0),
                }),
            ));
        }
        let open = if tokens.is_empty() {
            Some(unscoped()?)
        } else {
            None
        };
        Ok(Tenants { open, tokens })
    }

    /// Whether requests need a credential.
    pub fn auth_required(&self) -> bool {
        self.open.is_none()
    }

    /// The tenant a request acts for.
    pub fn authenticate(&self, headers: &http::HeaderMap) -> Result<Arc<Tenant>, AuthError> {
        if let Some(open) = &self.open {
            return Ok(open.clone());
        }
        let given = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        let hash = token_hash(given);
        // Compare against every tenant, in constant time per comparison, without stopping at
        // the first match.
        let mut found = None;
        for (h, tenant) in &self.tokens {
            let diff = h
                .iter()
                .zip(hash.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 && found.is_none() {
                found = Some(tenant.clone());
            }
        }
        found.ok_or(AuthError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> ServerConfig {
        let c: ServerConfig = toml::from_str(text).unwrap();
        c.validate().unwrap();
        c
    }

    fn bearer(token: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        h
    }

    #[test]
    fn tenants_are_found_by_token_and_scope_their_names() {
        let acme = "acme-token-0123456789abcdef";
        let c = config(&format!(
            "[[tenants]]\nname = \"acme\"\ntoken_sha256 = \"{}\"\nkv_quota_mb = 1\n[[tenants]]\nname = \"beta\"\ntoken_sha256 = \"{}\"\n",
            hex::encode(token_hash(acme)),
            hex::encode(token_hash("beta-token-0123456789abcdef"))
        ));
        let t = Tenants::from_config(&c).unwrap();
        assert!(t.auth_required());
        assert_eq!(
            t.authenticate(&http::HeaderMap::new()).unwrap_err(),
            AuthError::Missing
        );
        assert_eq!(
            t.authenticate(&bearer("nope-nope-nope-nope")).unwrap_err(),
            AuthError::Unknown
        );
        let a = t.authenticate(&bearer(acme)).unwrap();
        assert_eq!(a.name, "acme");
        assert_eq!(a.kv_quota_bytes, 1 << 20);
        assert_eq!(a.scoped_id("w"), "acme/w");
        assert_eq!(a.own_id("acme/w"), Some("w"));
        assert_eq!(a.own_id("beta/w"), None);
        assert_eq!(a.own_id("acmex/w"), None);
        assert_eq!(a.own_id("w"), None);
        let b = t
            .authenticate(&bearer("beta-token-0123456789abcdef"))
            .unwrap();
        assert_eq!(b.name, "beta");
        // In-flight cap.
        let cap = a.max_in_flight;
        let held: Vec<_> = (0..cap).map(|_| a.enter().unwrap()).collect();
        assert!(a.enter().is_none());
        drop(held);
        assert!(a.enter().is_some());
    }

    #[test]
    fn without_auth_one_unscoped_tenant() {
        let t = Tenants::from_config(&ServerConfig::default()).unwrap();
        assert!(!t.auth_required());
        let d = t.authenticate(&http::HeaderMap::new()).unwrap();
        assert_eq!(d.scoped_id("w"), "w");
        assert_eq!(d.own_id("w"), Some("w"));
        assert_eq!(d.own_id("acme/w"), None);
    }
}
