//! How replicas sharing one Postgres keep what they cache coherent.
//!
//! Every transaction that changes a registered worker or an `/api/get/{id}` binding sends
//! `NOTIFY wasm_sandbox, '<kind>:<key>'`, delivered to every listening replica when (and only if)
//! it commits. Each replica holds one connection that `LISTEN`s and turns what arrives into
//! [`Change`]s: its record cache drops the key at once, and the daemon (through
//! [`PgStore::subscribe`](crate::postgres::PgStore::subscribe)) drops the warm worker and the
//! binding it holds for it.
//!
//! Notifications are not stored: one sent while a replica's listening connection was down is lost
//! to it. So the listener reconnects with a backoff and, once listening again, announces
//! [`Change::Lost`] (everything cached is dropped); while it is not listening nothing is reused
//! without asking the database. And a cached record is reused without asking at most `recheck`
//! after it was last confirmed; past that, the next use checks its generation (one indexed read
//! of one column) and keeps it if unchanged. The bound on serving a replaced worker is therefore
//! the notification's delivery (milliseconds) when the listener is healthy, and `recheck` in any
//! case.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::registry::Registered;

/// The channel every replica listens on.
pub(crate) const CHANNEL: &str = "wasm_sandbox";

/// Records cached at most, and their size (the stored JSON) at most: past either the cache starts
/// over. (Specs can be megabytes; the cache must not hold a replica's memory.)
const MAX_RECORDS: usize = 10_000;
const MAX_RECORD_BYTES: usize = 64 << 20;

/// What another replica (or this one) changed in the shared store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The registered worker with this key (`tenant/id` or `id`) was replaced or deleted.
    Worker(String),
    /// The `/api/get/{id}` binding with this key was removed (or replaced).
    Binding(String),
    /// Changes may have been missed (the listening connection was lost and is back): drop
    /// everything cached.
    Lost,
}

impl Change {
    /// The NOTIFY payload naming a change of `key`.
    pub(crate) fn payload(kind: char, key: &str) -> String {
        format!("{kind}:{key}")
    }

    fn parse(payload: &str) -> Option<Change> {
        match payload.split_once(':')? {
            ("w", key) => Some(Change::Worker(key.to_owned())),
            ("b", key) => Some(Change::Binding(key.to_owned())),
            _ => None,
        }
    }
}

/// A record as last read, and when it was last confirmed current.
struct Cached {
    record: Arc<Registered>,
    bytes: usize,
    confirmed: Instant,
}

#[derive(Default)]
struct Records {
    by_id: HashMap<String, Cached>,
    bytes: usize,
}

/// The replica's side: the record cache, the listener's state, the subscribers.
pub(crate) struct Coherence {
    records: Mutex<Records>,
    /// Bumped by every invalidation of a record: a read that started before one does not fill
    /// the cache.
    epoch: AtomicU64,
    /// The same for `/api/get/{id}` bindings (kept by the daemon; see
    /// [`PgStore::bindings_epoch`](crate::postgres::PgStore::bindings_epoch)).
    bindings_epoch: AtomicU64,
    listening: AtomicBool,
    recheck: Duration,
    changes: broadcast::Sender<Change>,
}

/// What [`Coherence::lookup`] found.
pub(crate) enum Lookup {
    /// Confirmed within the bound: use it.
    Fresh(Arc<Registered>),
    /// Cached but due a check: use it if its generation is still the stored one.
    Check(Arc<Registered>),
    /// Not cached.
    Miss,
}

impl Coherence {
    pub(crate) fn new(recheck: Duration) -> Arc<Self> {
        Arc::new(Coherence {
            records: Mutex::default(),
            epoch: AtomicU64::new(0),
            bindings_epoch: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            recheck,
            changes: broadcast::channel(4096).0,
        })
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Whether notifications are arriving now.
    pub(crate) fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub(crate) fn bindings_epoch(&self) -> u64 {
        self.bindings_epoch.load(Ordering::Acquire)
    }

    /// How long what is cached is trusted without asking.
    pub(crate) fn recheck(&self) -> Duration {
        self.recheck
    }

    pub(crate) fn lookup(&self, key: &str) -> Lookup {
        let records = self.records.lock().unwrap();
        match records.by_id.get(key) {
            Some(c) if self.listening() && c.confirmed.elapsed() < self.recheck => {
                Lookup::Fresh(c.record.clone())
            }
            Some(c) => Lookup::Check(c.record.clone()),
            None => Lookup::Miss,
        }
    }

    /// Cache `record` (of `bytes` stored) for `key` as confirmed now — or, `None`, forget `key`
    /// (a miss is not cached: any id can be asked for) — unless something was invalidated since
    /// `epoch` (read before the database was asked).
    pub(crate) fn store(&self, key: &str, record: Option<(Arc<Registered>, usize)>, epoch: u64) {
        let mut records = self.records.lock().unwrap();
        if let Some(old) = records.by_id.remove(key) {
            records.bytes -= old.bytes;
        }
        let Some((record, bytes)) = record else {
            return;
        };
        if self.epoch() != epoch || bytes > MAX_RECORD_BYTES {
            return;
        }
        if records.by_id.len() >= MAX_RECORDS || records.bytes + bytes > MAX_RECORD_BYTES {
            *records = Records::default();
        }
        records.bytes += bytes;
        records.by_id.insert(
            key.to_owned(),
            Cached {
                record,
                bytes,
                confirmed: Instant::now(),
            },
        );
    }

    /// Mark `key`'s record confirmed current now (its generation was checked), unless something
    /// was invalidated since `epoch`.
    pub(crate) fn confirm(&self, key: &str, epoch: u64) {
        let mut records = self.records.lock().unwrap();
        if self.epoch() != epoch {
            return;
        }
        if let Some(c) = records.by_id.get_mut(key) {
            c.confirmed = Instant::now();
        }
    }

    /// Apply a change: drop what it makes stale, then tell the subscribers.
    pub(crate) fn apply(&self, change: Change) {
        {
            let mut records = self.records.lock().unwrap();
            match &change {
                Change::Worker(key) => {
                    self.epoch.fetch_add(1, Ordering::AcqRel);
                    if let Some(old) = records.by_id.remove(key) {
                        records.bytes -= old.bytes;
                    }
                }
                Change::Lost => {
                    self.epoch.fetch_add(1, Ordering::AcqRel);
                    self.bindings_epoch.fetch_add(1, Ordering::AcqRel);
                    *records = Records::default();
                }
                Change::Binding(_) => {
                    self.bindings_epoch.fetch_add(1, Ordering::AcqRel);
                }
            }
        }
        let _ = self.changes.send(change);
    }

    /// Keep a connection listening on [`CHANNEL`] for as long as the process runs.
    pub(crate) fn spawn_listener(
        self: &Arc<Self>,
        config: tokio_postgres::Config,
        tls: MakeRustlsConnect,
    ) -> tokio::task::JoinHandle<()> {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                let Some(co) = this.upgrade() else { return };
                match co.listen_once(&config, &tls).await {
                    Ok(()) => backoff = Duration::from_millis(100),
                    Err(e) => tracing::warn!(
                        error = %format!("{e:#}"),
                        retry_ms = backoff.as_millis() as u64,
                        "store notifications: connection lost; cached records are checked on every use until it is back"
                    ),
                }
                co.listening.store(false, Ordering::Release);
                co.apply(Change::Lost);
                drop(co);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        })
    }

    /// One listening connection, until it fails.
    async fn listen_once(
        &self,
        config: &tokio_postgres::Config,
        tls: &MakeRustlsConnect,
    ) -> anyhow::Result<()> {
        let (client, mut connection) =
            tokio::time::timeout(Duration::from_secs(10), config.connect(tls.clone()))
                .await
                .map_err(|_| anyhow::anyhow!("connecting timed out after 10 s"))??;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if tx.send(n.payload().to_owned()).is_err() {
                            return Ok(());
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Ok(()),
                }
            }
        });
        let result = async {
            client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
            // Anything sent before LISTEN took effect was missed.
            self.apply(Change::Lost);
            self.listening.store(true, Ordering::Release);
            let mut ping = tokio::time::interval(Duration::from_secs(5));
            ping.tick().await;
            loop {
                tokio::select! {
                    payload = rx.recv() => match payload {
                        Some(p) => match Change::parse(&p) {
                            Some(change) => self.apply(change),
                            None => tracing::debug!(payload = %p, "store notifications: unknown payload"),
                        },
                        None => anyhow::bail!("the listening connection closed"),
                    },
                    // A connection that went silent (a dead peer, a partition) is noticed here.
                    _ = ping.tick() => {
                        tokio::time::timeout(Duration::from_secs(5), client.simple_query(""))
                            .await
                            .map_err(|_| anyhow::anyhow!("the listening connection stopped answering"))??;
                    }
                }
            }
        }
        .await;
        driver.abort();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            Change::Worker("acme/calc".into()),
            Change::Binding("x".into()),
        ] {
            let (kind, key) = match &change {
                Change::Worker(k) => ('w', k),
                Change::Binding(k) => ('b', k),
                Change::Lost => unreachable!(),
            };
            assert_eq!(Change::parse(&Change::payload(kind, key)), Some(change));
        }
        assert_eq!(Change::parse("z:x"), None);
        assert_eq!(Change::parse("nonsense"), None);
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_cached() {
        let co = Coherence::new(Duration::from_secs(60));
        co.listening.store(true, Ordering::Release);
        let rec = Arc::new(Registered {
            id: "w".into(),
            version: 1,
            generation: 1,
            created_ms: 0,
            updated_ms: 0,
            spec: Default::default(),
        });
        let epoch = co.epoch();
        co.apply(Change::Worker("w".into()));
        co.store("w", Some((rec.clone(), 10)), epoch);
        assert!(matches!(co.lookup("w"), Lookup::Miss));
        // A binding's change does not stop records from being cached.
        let epoch = co.epoch();
        co.apply(Change::Binding("x".into()));
        co.store("w", Some((rec.clone(), 10)), epoch);
        assert!(matches!(co.lookup("w"), Lookup::Fresh(_)));
        // Not listening: reused only after a check.
        co.listening.store(false, Ordering::Release);
        assert!(matches!(co.lookup("w"), Lookup::Check(_)));
        // Too big to cache: not cached (and nothing else is dropped for it).
        co.store("big", Some((rec.clone(), MAX_RECORD_BYTES + 1)), co.epoch());
        assert!(matches!(co.lookup("big"), Lookup::Miss));
        assert!(matches!(co.lookup("w"), Lookup::Check(_)));
        // A miss is not cached.
        co.store("w", None, co.epoch());
        assert!(matches!(co.lookup("w"), Lookup::Miss));
    }
}
