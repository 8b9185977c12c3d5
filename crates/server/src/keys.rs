//! The loader's cache keys for daemon workers ([`CacheKey`]), and the code each `/api/get/{id}`
//! id is bound to ([`IdBindings`]).
//!
//! The loader names cached workers by string; [`CacheKey`] is the one place that writes and
//! reads those strings: `/api/get/{id}` workers are `api:{scoped id}:{sha256 of the spec}`,
//! registered ones `reg:{scoped id}:{version}:{generation}`, where the scoped id is the tenant's
//! view of the id ([`Tenant::scoped_id`](crate::tenants::Tenant::scoped_id): `tenant/id`, or `id`
//! for the unscoped tenant). Ids never contain `:`. A warm worker is found only under the code it
//! was made from — the spec's hash, the registry's generation (unique per stored version, even
//! across a delete and a re-registration) — so no replica can serve an id with code it no longer
//! has, whatever notifications it missed.

use std::fmt;

/// Which daemon worker a loader cache entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheKey {
    /// The worker of `/api/get/{id}`, by scoped id and the hash (hex) of its spec.
    Api {
        /// The tenant's scoped id.
        scoped: String,
        /// SHA-256 of the spec it was made from, hex.
        code: String,
    },
    /// A version of a registered worker, by scoped id.
    Registered {
        /// The tenant's scoped id.
        scoped: String,
        /// The registry's version of it (shown on tails).
        version: u64,
        /// The registry's generation of that version (unique in the store).
        generation: u64,
    },
}

impl CacheKey {
    /// The key of an `/api/get/{id}` worker made from the spec with SHA-256 `hash`.
    pub(crate) fn api(scoped: &str, hash: &[u8; 32]) -> Self {
        CacheKey::Api {
            scoped: scoped.to_owned(),
            code: hex::encode(hash),
        }
    }

    /// The key of a registered worker's version.
    pub(crate) fn registered(scoped: &str, version: u64, generation: u64) -> Self {
        CacheKey::Registered {
            scoped: scoped.to_owned(),
            version,
            generation,
        }
    }

    /// Read back a loader id this type wrote (`None` for any other).
    pub(crate) fn parse(key: &str) -> Option<Self> {
        if let Some(rest) = key.strip_prefix("api:") {
            let (id, code) = rest.rsplit_once(':')?;
            return Some(CacheKey::Api {
                scoped: id.to_owned(),
                code: code.to_owned(),
            });
        }
        let (rest, generation) = key.strip_prefix("reg:")?.rsplit_once(':')?;
        let (id, version) = rest.rsplit_once(':')?;
        Some(CacheKey::Registered {
            scoped: id.to_owned(),
            version: version.parse().ok()?,
            generation: generation.parse().ok()?,
        })
    }

    /// The scoped id it belongs to.
    pub(crate) fn scoped(&self) -> &str {
        match self {
            CacheKey::Api { scoped, .. } | CacheKey::Registered { scoped, .. } => scoped,
        }
    }

    /// The registered version (`None` for an `/api/get/{id}` worker).
    pub(crate) fn version(&self) -> Option<u64> {
        match self {
            CacheKey::Api { .. } => None,
            CacheKey::Registered { version, .. } => Some(*version),
        }
    }
}

/// The loader id.
impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheKey::Api { scoped, code } => write!(f, "api:{scoped}:{code}"),
            CacheKey::Registered {
                scoped,
                version,
                generation,
            } => write!(f, "reg:{scoped}:{version}:{generation}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for key in [
            CacheKey::api("calc", &[7; 32]),
            CacheKey::registered("acme/calc", 3, 41),
        ] {
            assert_eq!(CacheKey::parse(&key.to_string()), Some(key));
        }
        assert_eq!(
            CacheKey::parse("reg:acme/calc:3:41").unwrap().version(),
            Some(3)
        );
        assert_eq!(
            CacheKey::parse("api:acme/calc:00ff").unwrap().scoped(),
            "acme/calc"
        );
        assert_eq!(CacheKey::parse("other"), None);
        assert_eq!(CacheKey::parse("api:nohash"), None);
        assert_eq!(CacheKey::parse("reg:x:1:notanumber"), None);
        assert_eq!(CacheKey::parse("reg:x:1"), None);
    }
}

/// Which code each `/api/get/{id}` id is bound to (SHA-256 of the worker spec it was first given,
/// and that spec's tail workers), kept after the worker is evicted from the cache so that nobody
/// can install other code under the id later. Bounded: beyond [`MAX_BOUND_IDS`] a tenant's oldest
/// bindings are forgotten.
///
/// On one machine the map here is the bindings. With a shared store it is this replica's cache of
/// the store's table: trusted while the replica receives the other replicas' changes (they drop
/// entries through [`forget`](Self::forget) / [`forget_all`](Self::forget_all)), asked of the
/// store otherwise and on a miss.
#[derive(Default)]
pub(crate) struct IdBindings {
    inner: std::sync::Mutex<Bound>,
    shared: Option<Shared>,
}

struct Shared {
    store: wasm_sandbox_store::postgres::PgStore,
    bindings: wasm_sandbox_store::postgres::PgBindings,
}

#[derive(Default)]
struct Bound {
    /// Each id's binding, its place in its tenant's order, and when the store last confirmed it
    /// (with a shared store, trusted for `recheck` after that).
    by_id: std::collections::HashMap<String, (Binding, u64, std::time::Instant)>,
    /// Binding order per tenant (the scoped id's part before `/`, `""` for the unscoped
    /// tenant): a tenant's many ids only ever push out its own oldest bindings. Entries whose
    /// place no longer matches `by_id` (removed since) are skipped, and compacted away.
    order: std::collections::HashMap<String, std::collections::VecDeque<(String, u64)>>,
    /// Bindings held per tenant.
    live: std::collections::HashMap<String, usize>,
    next: u64,
}

pub(crate) use wasm_sandbox_store::postgres::Binding;

/// Most ids whose code binding is remembered, per tenant.
pub(crate) const MAX_BOUND_IDS: usize = 100_000;

fn tenant_of(key: &str) -> &str {
    key.split_once('/').map_or("", |(t, _)| t)
}

impl Bound {
    /// Remember `key`'s binding; one already there is kept and returned.
    fn insert(&mut self, key: &str, binding: Binding) -> Binding {
        if let Some((b, _, _)) = self.by_id.get(key) {
            return b.clone();
        }
        self.next += 1;
        let place = self.next;
        self.by_id.insert(
            key.to_owned(),
            (binding.clone(), place, std::time::Instant::now()),
        );
        let tenant = tenant_of(key);
        let order = self.order.entry(tenant.to_owned()).or_default();
        order.push_back((key.to_owned(), place));
        let live = self.live.entry(tenant.to_owned()).or_default();
        *live += 1;
        while *live > MAX_BOUND_IDS {
            let Some((old, p)) = order.pop_front() else {
                break;
            };
            if self.by_id.get(&old).is_some_and(|(_, q, _)| *q == p) {
                self.by_id.remove(&old);
                *live -= 1;
            }
        }
        if order.len() > 2 * *live + 16 {
            let by_id = &self.by_id;
            order.retain(|(k, p)| by_id.get(k).is_some_and(|(_, q, _)| q == p));
        }
        binding
    }

    /// Set `key`'s binding to what the store says, confirmed now (its place kept if it had one).
    fn set(&mut self, key: &str, binding: Binding) -> Binding {
        match self.by_id.get_mut(key) {
            Some((b, _, confirmed)) => {
                *b = binding.clone();
                *confirmed = std::time::Instant::now();
                binding
            }
            None => self.insert(key, binding),
        }
    }

    fn remove(&mut self, key: &str) -> Option<Binding> {
        let (b, _, _) = self.by_id.remove(key)?;
        if let Some(live) = self.live.get_mut(tenant_of(key)) {
            *live = live.saturating_sub(1);
        }
        Some(b)
    }
}

impl IdBindings {
    /// Bindings kept in the shared store (this replica caching them).
    pub(crate) fn shared(store: &wasm_sandbox_store::postgres::PgStore) -> Self {
        IdBindings {
            inner: Default::default(),
            shared: Some(Shared {
                store: store.clone(),
                bindings: store.bindings(),
            }),
        }
    }

    /// What is held here for `key`, if it can be trusted without asking the store: always on one
    /// machine; with a shared store, while this replica receives the others' changes and for at
    /// most `recheck` after the store last confirmed it (so a missed change is not trusted for
    /// longer than a cached registry record is).
    fn trusted(&self, key: &str) -> Option<Binding> {
        let inner = self.inner.lock().unwrap();
        let (b, _, confirmed) = inner.by_id.get(key)?;
        match &self.shared {
            None => Some(b.clone()),
            Some(s) if s.store.listening() && confirmed.elapsed() < s.store.recheck() => {
                Some(b.clone())
            }
            Some(_) => None,
        }
    }

    /// Remember what the store said of `key` — unless a change of some binding arrived since
    /// `epoch` was read (before asking): that change may be this one's removal, and the answer
    /// would then be remembered after it.
    fn remember(&self, shared: &Shared, key: &str, binding: Option<&Binding>, epoch: u64) {
        let mut inner = self.inner.lock().unwrap();
        match binding {
            Some(b) if shared.store.bindings_epoch() == epoch => {
                inner.set(key, b.clone());
            }
            _ => {
                inner.remove(key);
            }
        }
    }

    /// Bind `key` to `hash` if it is not bound; returns the binding in effect (`hash`'s, or the
    /// other code's it already had).
    pub(crate) async fn bind(
        &self,
        key: &str,
        hash: [u8; 32],
        tails: &[String],
    ) -> anyhow::Result<Binding> {
        if let Some(b) = self.trusted(key) {
            return Ok(b);
        }
        let new = Binding {
            hash,
            tails: tails.to_vec(),
        };
        let Some(shared) = &self.shared else {
            return Ok(self.inner.lock().unwrap().insert(key, new));
        };
        let epoch = shared.store.bindings_epoch();
        let b = shared
            .bindings
            .bind(key, tenant_of(key), &new, MAX_BOUND_IDS)
            .await?;
        self.remember(shared, key, Some(&b), epoch);
        Ok(b)
    }

    /// `key`'s binding, if it has one.
    pub(crate) async fn get(&self, key: &str) -> anyhow::Result<Option<Binding>> {
        if let Some(b) = self.trusted(key) {
            return Ok(Some(b));
        }
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        let epoch = shared.store.bindings_epoch();
        let b = shared.bindings.get(key).await?;
        self.remember(shared, key, b.as_ref(), epoch);
        Ok(b)
    }

    /// Forget `key`'s binding (only if it is still `hash`, when given: its first load failed);
    /// the hash it had, if one was forgotten.
    pub(crate) async fn unbind(
        &self,
        key: &str,
        hash: Option<&[u8; 32]>,
    ) -> anyhow::Result<Option<[u8; 32]>> {
        let local = {
            let mut inner = self.inner.lock().unwrap();
            match inner.by_id.get(key) {
                Some((b, _, _)) if hash.is_none_or(|h| *h == b.hash) => {
                    inner.remove(key).map(|b| b.hash)
                }
                _ => None,
            }
        };
        match &self.shared {
            None => Ok(local),
            Some(shared) => Ok(shared.bindings.unbind(key, hash).await?.or(local)),
        }
    }

    /// Another replica removed `key`'s binding: drop it here; the hash it had here, if any.
    pub(crate) fn forget(&self, key: &str) -> Option<[u8; 32]> {
        self.inner.lock().unwrap().remove(key).map(|b| b.hash)
    }

    /// Changes may have been missed: drop every binding held here (the store still has them).
    pub(crate) fn forget_all(&self) {
        *self.inner.lock().unwrap() = Bound::default();
    }
}

#[cfg(test)]
mod binding_tests {
    use super::IdBindings;

    fn bind(b: &IdBindings, key: &str, hash: [u8; 32]) -> [u8; 32] {
        futures_lite(b.bind(key, hash, &[])).unwrap().hash
    }

    /// The one-machine bindings never wait (no store): drive them without a runtime.
    fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the in-memory bindings waited"),
        }
    }

    #[test]
    fn an_id_keeps_its_first_code() {
        let b = IdBindings::default();
        assert_eq!(bind(&b, "x", [1; 32]), [1; 32]);
        assert_eq!(bind(&b, "x", [1; 32]), [1; 32]);
        assert_eq!(bind(&b, "x", [2; 32]), [1; 32]);
        assert_eq!(futures_lite(b.unbind("x", Some(&[2; 32]))).unwrap(), None);
        assert_eq!(bind(&b, "x", [2; 32]), [1; 32]);
        assert_eq!(futures_lite(b.unbind("x", None)).unwrap(), Some([1; 32]));
        assert_eq!(bind(&b, "x", [2; 32]), [2; 32]);
    }

    #[test]
    fn one_tenants_many_ids_never_push_out_anothers_bindings() {
        let b = IdBindings::default();
        bind(&b, "acme/victim", [1; 32]);
        for i in 0..=super::MAX_BOUND_IDS {
            bind(&b, &format!("beta/x{i}"), [2; 32]);
        }
        assert_eq!(bind(&b, "acme/victim", [3; 32]), [1; 32]);
        // beta's oldest binding was the one forgotten.
        assert_eq!(bind(&b, "beta/x0", [3; 32]), [3; 32]);
    }
}
