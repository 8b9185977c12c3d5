//! The loader's cache keys for daemon workers ([`CacheKey`]), and the code each `/api/get/{id}`
//! id is bound to ([`IdBindings`]).
//!
//! The loader names cached workers by string; [`CacheKey`] is the one place that writes and
//! reads those strings: `/api/get/{id}` workers are `api:{scoped id}`, registered ones
//! `reg:{scoped id}:{version}`, where the scoped id is the tenant's view of the id
//! ([`Tenant::scoped_id`](crate::tenants::Tenant::scoped_id): `tenant/id`, or `id` for the
//! unscoped tenant). Ids never contain `:` or `/`.

use std::fmt;

/// Which daemon worker a loader cache entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheKey {
    /// The worker of `/api/get/{id}`, by scoped id.
    Api(String),
    /// Version `version` of a registered worker, by scoped id.
    Registered {
        /// The tenant's scoped id.
        scoped: String,
        /// The registry's version of it.
        version: u64,
    },
}

impl CacheKey {
    /// The key of a registered worker's version.
    pub(crate) fn registered(scoped: &str, version: u64) -> Self {
        CacheKey::Registered {
            scoped: scoped.to_owned(),
            version,
        }
    }

    /// Read back a loader id this type wrote (`None` for any other).
    pub(crate) fn parse(key: &str) -> Option<Self> {
        if let Some(id) = key.strip_prefix("api:") {
            return Some(CacheKey::Api(id.to_owned()));
        }
        let (id, version) = key.strip_prefix("reg:")?.rsplit_once(':')?;
        Some(CacheKey::Registered {
            scoped: id.to_owned(),
            version: version.parse().ok()?,
        })
    }

    /// The scoped id it belongs to.
    pub(crate) fn scoped(&self) -> &str {
        match self {
            CacheKey::Api(scoped) | CacheKey::Registered { scoped, .. } => scoped,
        }
    }

    /// The registered version (`None` for an `/api/get/{id}` worker).
    pub(crate) fn version(&self) -> Option<u64> {
        match self {
            CacheKey::Api(_) => None,
            CacheKey::Registered { version, .. } => Some(*version),
        }
    }
}

/// The loader id.
impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheKey::Api(scoped) => write!(f, "api:{scoped}"),
            CacheKey::Registered { scoped, version } => write!(f, "reg:{scoped}:{version}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for key in [
            CacheKey::Api("calc".into()),
            CacheKey::registered("acme/calc", 3),
        ] {
            assert_eq!(CacheKey::parse(&key.to_string()), Some(key));
        }
        assert_eq!(
            CacheKey::parse("reg:acme/calc:3").unwrap().version(),
            Some(3)
        );
        assert_eq!(
            CacheKey::parse("api:acme/calc").unwrap().scoped(),
            "acme/calc"
        );
        assert_eq!(CacheKey::parse("other"), None);
        assert_eq!(CacheKey::parse("reg:x:notanumber"), None);
    }
}

/// Which code each `/api/get/{id}` id is bound to (SHA-256 of the worker spec it was first given),
/// kept after the worker is evicted from the cache so that nobody can install other code under
/// the id later. Bounded: beyond [`MAX_BOUND_IDS`] the oldest bindings are forgotten.
#[derive(Default)]
pub(crate) struct IdBindings {
    inner: std::sync::Mutex<Bound>,
}

#[derive(Default)]
struct Bound {
    by_id: std::collections::HashMap<String, [u8; 32]>,
    /// The tail workers of the bound spec (the body of a later hit may be `{}`).
    tails: std::collections::HashMap<String, Vec<String>>,
    /// Binding order per tenant (the scoped id's part before `/`, `""` for the unscoped
    /// tenant): a tenant's many ids only ever push out its own oldest bindings.
    order: std::collections::HashMap<String, std::collections::VecDeque<String>>,
}

/// Most ids whose code binding is remembered, per tenant.
pub(crate) const MAX_BOUND_IDS: usize = 100_000;

fn tenant_of(key: &str) -> &str {
    key.split_once('/').map_or("", |(t, _)| t)
}

impl IdBindings {
    /// Bind `key` to `hash` if it is not bound; `Err(bound)` if it is bound to other code.
    pub(crate) fn bind(&self, key: &str, hash: [u8; 32], tails: &[String]) -> Result<(), [u8; 32]> {
        let mut b = self.inner.lock().unwrap();
        match b.by_id.get(key) {
            Some(h) if *h == hash => Ok(()),
            Some(h) => Err(*h),
            None => {
                b.by_id.insert(key.to_owned(), hash);
                if !tails.is_empty() {
                    b.tails.insert(key.to_owned(), tails.to_vec());
                }
                let order = b.order.entry(tenant_of(key).to_owned()).or_default();
                order.push_back(key.to_owned());
                let mut forgotten = Vec::new();
                while order.len() > MAX_BOUND_IDS {
                    let Some(old) = order.pop_front() else { break };
                    forgotten.push(old);
                }
                for old in forgotten {
                    b.by_id.remove(&old);
                    b.tails.remove(&old);
                }
                Ok(())
            }
        }
    }

    /// The tail workers of the spec `key` is bound to.
    pub(crate) fn tails(&self, key: &str) -> Vec<String> {
        self.inner
            .lock()
            .unwrap()
            .tails
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether `key` is bound to some code.
    pub(crate) fn is_bound(&self, key: &str) -> bool {
        self.inner.lock().unwrap().by_id.contains_key(key)
    }

    /// Forget `key`'s binding; returns whether there was one.
    pub(crate) fn unbind(&self, key: &str) -> bool {
        let mut b = self.inner.lock().unwrap();
        b.tails.remove(key);
        b.by_id.remove(key).is_some()
    }

    /// Forget `key`'s binding if it is still `hash` (its first load failed).
    pub(crate) fn unbind_if(&self, key: &str, hash: &[u8; 32]) {
        let mut b = self.inner.lock().unwrap();
        if b.by_id.get(key) == Some(hash) {
            b.by_id.remove(key);
            b.tails.remove(key);
        }
    }
}

#[cfg(test)]
mod binding_tests {
    use super::IdBindings;

    #[test]
    fn an_id_keeps_its_first_code() {
        let b = IdBindings::default();
        b.bind("x", [1; 32], &[]).unwrap();
        b.bind("x", [1; 32], &[]).unwrap();
        assert_eq!(b.bind("x", [2; 32], &[]), Err([1; 32]));
        b.unbind_if("x", &[2; 32]);
        assert_eq!(b.bind("x", [2; 32], &[]), Err([1; 32]));
        assert!(b.unbind("x"));
        b.bind("x", [2; 32], &[]).unwrap();
    }

    #[test]
    fn one_tenants_many_ids_never_push_out_anothers_bindings() {
        let b = IdBindings::default();
        b.bind("acme/victim", [1; 32], &[]).unwrap();
        for i in 0..=super::MAX_BOUND_IDS {
            b.bind(&format!("beta/x{i}"), [2; 32], &[]).unwrap();
        }
        assert_eq!(b.bind("acme/victim", [3; 32], &[]), Err([1; 32]));
        // beta's oldest binding was the one forgotten.
        b.bind("beta/x0", [3; 32], &[]).unwrap();
    }
}
