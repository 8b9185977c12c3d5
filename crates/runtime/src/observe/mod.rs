//! Observability: live tail events, metering per worker id, metrics.
//!
//! - **Tail** ([`Loader::tail`](crate::Loader::tail), [`Worker::tail`](crate::Worker::tail)):
//!   every invocation publishes [`TailEvent`]s *as they happen* — its start, each console line,
//!   each outbound attempt, an uncaught exception, and its outcome with CPU and wall time. A
//!   subscriber sees a slow request's lines before its response exists. Nothing is built when
//!   nobody listens.
//! - **Metering** ([`Loader::usage`](crate::Loader::usage)): requests, errors and CPU time per
//!   worker id, and unique workers loaded per UTC day — the dimensions Cloudflare bills Dynamic
//!   Workers on.
//! - **Metrics**: emitted through the [`metrics`] facade (install any recorder; the daemon
//!   renders Prometheus text): `sandbox_requests_total{kind,outcome,start}`,
//!   `sandbox_request_duration_seconds{kind,start}`, `sandbox_cpu_microseconds_total`,
//!   `sandbox_instantiate_duration_seconds`, `sandbox_evaluate_duration_seconds`,
//!   `sandbox_outbound_requests_total{outcome,rule}`, `sandbox_workers_loaded_total`.

pub(crate) mod sink;
pub(crate) mod tails;
pub(crate) mod trace;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::host::outbound::record::OutboundRecord;
use crate::observe::trace::Level;

/// Events a slow subscriber may fall behind by before it misses some (it is told how many).
const TAIL_CAPACITY: usize = 4096;
/// Days of unique-worker counts kept.
const DAYS_KEPT: usize = 92;

pub(crate) use trace::now_ms;

/// One thing an invocation did, published as it happened.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TailEvent {
    /// Which invocation (unique per loader; every event of one invocation shares it).
    pub invocation: u64,
    /// The worker's id (as given to [`Loader::get`](crate::Loader::get)); `None` for workers
    /// made by [`Loader::load`](crate::Loader::load).
    #[serde(serialize_with = "as_str")]
    pub worker: Option<Arc<str>>,
    /// When, in milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: TailKind,
    /// The invocation whose nested call this one is (a service binding's, an intercepted
    /// `fetch()`'s, a Worker Loader child's): its events sit under that parent's. Absent for a
    /// request from outside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    /// Which `Worker` object (for [`Worker::tail`](crate::Worker::tail)).
    #[serde(skip)]
    pub(crate) serial: u64,
}

fn as_str<S: serde::Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&**v),
        None => s.serialize_none(),
    }
}

/// What a [`TailEvent`] reports. Serialized with a `type` tag: `start`, `log`, `exception`,
/// `outbound`, `finish`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum TailKind {
    /// The invocation began.
    Start {
        /// What triggered it.
        event: Trigger,
    },
    /// A console line.
    Log {
        /// `debug`, `info`, `log`, `warn` or `error`.
        level: Level,
        /// The formatted message.
        message: String,
    },
    /// The invocation ended with an uncaught exception.
    Exception {
        /// The error's name (`TypeError`...), `Error` when it has none.
        name: String,
        /// Its message.
        message: String,
        /// The JS stack, when there is one.
        stack: Option<String>,
    },
    /// An outbound request was attempted (allowed and answered, denied with the rule, or failed).
    Outbound {
        /// The attempt.
        #[serde(flatten)]
        record: OutboundRecord,
    },
    /// The invocation ended.
    #[serde(rename_all = "camelCase")]
    Finish {
        /// `ok`, `exception`, `exceededCpu`, `exceededMemory`, `exceededWallTime`, `canceled`, or
        /// another [`Error::outcome`](crate::Error::outcome).
        outcome: crate::Outcome,
        /// CPU time used, milliseconds.
        cpu_time: f64,
        /// Wall time, milliseconds.
        wall_time: f64,
        /// Whether a fresh instance was made (and the modules evaluated) for it.
        cold: bool,
    },
}

/// What started an invocation.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Trigger {
    /// A `fetch` call.
    Fetch {
        /// The request method.
        method: String,
        /// The request URL.
        url: String,
        /// The named export, or `None` for the default one.
        entrypoint: Option<String>,
    },
    /// An RPC call.
    Rpc {
        /// The method called.
        method: String,
        /// The named export, or `None` for the default one.
        entrypoint: Option<String>,
    },
}

/// What [`Tail::recv`] gives.
#[derive(Debug, Clone)]
pub enum TailItem {
    /// The next event.
    Event(Arc<TailEvent>),
    /// The subscriber fell this many events behind and they were skipped.
    Lagged(u64),
}

/// A live subscription to tail events (from [`Loader::tail`](crate::Loader::tail) or
/// [`Worker::tail`](crate::Worker::tail)). Events published after it was made arrive in order;
/// dropping it unsubscribes.
pub struct Tail {
    rx: broadcast::Receiver<Arc<TailEvent>>,
    serial: Option<u64>,
}

impl Tail {
    /// The next event (or a note that some were skipped). `None` once the loader is gone.
    pub async fn recv(&mut self) -> Option<TailItem> {
        loop {
            match self.rx.recv().await {
                Ok(e) if self.serial.is_none_or(|s| s == e.serial) => {
                    return Some(TailItem::Event(e))
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => return Some(TailItem::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// Usage of one worker id (or of all anonymous workers together).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerUsage {
    /// Invocations (fetch and RPC), whatever their outcome.
    pub requests: u64,
    /// Of those, the ones that did not end `ok`.
    pub errors: u64,
    /// CPU time, milliseconds (module evaluation on cold starts included).
    pub cpu_ms: f64,
    /// Invocations that needed a fresh instance.
    pub cold_starts: u64,
    /// Outbound requests attempted.
    pub subrequests: u64,
}

impl std::ops::AddAssign for WorkerUsage {
    fn add_assign(&mut self, other: WorkerUsage) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.cpu_ms += other.cpu_ms;
        self.cold_starts += other.cold_starts;
        self.subrequests += other.subrequests;
    }
}

/// Unique workers loaded on one UTC day.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayUsage {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Distinct workers that ran that day: each id given to [`Loader::get`](crate::Loader::get)
    /// counts once however often it was evicted and loaded again; each worker made by
    /// [`Loader::load`](crate::Loader::load) is a worker of its own.
    pub unique_workers_loaded: u64,
    /// Invocations that day.
    pub requests: u64,
    /// CPU time that day, milliseconds.
    pub cpu_ms: f64,
}

/// Metering since the loader started ([`Loader::usage`](crate::Loader::usage)).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Per worker id.
    pub workers: BTreeMap<String, WorkerUsage>,
    /// All workers made by [`Loader::load`](crate::Loader::load), together.
    pub anonymous: WorkerUsage,
    /// Per UTC day, oldest first (the last 92 days).
    pub days: Vec<DayUsage>,
}

/// Metering of one account ([`Loader::account_usage`](crate::Loader::account_usage)); its ids'
/// figures are in [`Usage::workers`] under the ids.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUsage {
    /// Its workers made by [`Loader::load`](crate::Loader::load), together.
    pub anonymous: WorkerUsage,
    /// Per UTC day, oldest first (the last 92 days): its requests, CPU time and unique workers.
    pub days: Vec<DayUsage>,
}

#[derive(Default)]
struct Metering {
    workers: BTreeMap<String, WorkerUsage>,
    /// The loader's totals.
    all: Ledger,
    /// The same, per account ([`WorkerCode::account`](crate::WorkerCode::account)).
    accounts: HashMap<Arc<str>, Ledger>,
}

/// Anonymous use and daily totals, of the loader or of one account.
#[derive(Default)]
struct Ledger {
    anonymous: WorkerUsage,
    days: Vec<DayUsage>,
    /// Ids, and serials of id-less workers, that ran today (only today's are kept: earlier days
    /// keep their counts).
    today_ids: HashSet<String>,
    today_serials: HashSet<u64>,
    /// Days since the Unix epoch of `days.last()`.
    day_number: u64,
}

impl Ledger {
    fn today(&mut self) -> &mut DayUsage {
        let now = now_ms();
        let day_number = now / 86_400_000;
        if self.days.is_empty() || day_number != self.day_number {
            self.day_number = day_number;
            let date = utc_date(now);
            self.today_ids.clear();
            self.today_serials.clear();
            self.days.push(DayUsage {
                date,
                unique_workers_loaded: 0,
                requests: 0,
                cpu_ms: 0.0,
            });
            if self.days.len() > DAYS_KEPT {
                self.days.remove(0);
            }
        }
        self.days.last_mut().expect("just pushed")
    }

    /// Count one invocation of the worker `worker` (or the id-less worker `serial`).
    fn record(&mut self, worker: Option<&str>, serial: u64, usage: WorkerUsage) {
        self.today();
        let first_today = match worker {
            Some(id) => !self.today_ids.contains(id) && self.today_ids.insert(id.to_string()),
            None => self.today_serials.insert(serial),
        };
        let day = self.today();
        day.requests += usage.requests;
        day.cpu_ms += usage.cpu_ms;
        day.unique_workers_loaded += u64::from(first_today);
        if worker.is_none() {
            self.anonymous += usage;
        }
    }
}

/// `YYYY-MM-DD` of a Unix time in milliseconds (UTC; proleptic Gregorian).
fn utc_date(ms: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = (ms / 86_400_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The loader-wide hub: tail channel, invocation numbers, metering.
pub(crate) struct Observer {
    tx: broadcast::Sender<Arc<TailEvent>>,
    next_invocation: AtomicU64,
    next_serial: AtomicU64,
    metering: Mutex<Metering>,
}

impl Default for Observer {
    fn default() -> Self {
        Observer {
            tx: broadcast::channel(TAIL_CAPACITY).0,
            next_invocation: AtomicU64::new(1),
            next_serial: AtomicU64::new(1),
            metering: Mutex::default(),
        }
    }
}

impl Observer {
    pub(crate) fn subscribe(&self, serial: Option<u64>) -> Tail {
        Tail {
            rx: self.tx.subscribe(),
            serial,
        }
    }

    pub(crate) fn next_serial(&self) -> u64 {
        self.next_serial.fetch_add(1, Ordering::Relaxed)
    }

    /// A worker was made (a `load`, or a `get` miss).
    pub(crate) fn worker_loaded(&self) {
        metrics::counter!("sandbox_workers_loaded_total").increment(1);
    }

    pub(crate) fn usage(&self) -> Usage {
        let mut m = self.metering.lock().unwrap();
        m.all.today();
        Usage {
            workers: m.workers.clone(),
            anonymous: m.all.anonymous,
            days: m.all.days.clone(),
        }
    }

    /// The usage of `account`'s workers: its anonymous workers together, and its daily totals.
    pub(crate) fn account_usage(&self, account: &str) -> AccountUsage {
        let mut m = self.metering.lock().unwrap();
        let Some(ledger) = m.accounts.get_mut(account) else {
            return AccountUsage::default();
        };
        ledger.today();
        AccountUsage {
            anonymous: ledger.anonymous,
            days: ledger.days.clone(),
        }
    }

    pub(crate) fn worker_usage(&self, id: &str) -> Option<WorkerUsage> {
        self.metering.lock().unwrap().workers.get(id).copied()
    }
}

/// The context of one invocation, handed to its sandbox so console lines and outbound attempts
/// are published when they happen.
#[derive(Clone)]
pub(crate) struct InvocationCtx {
    observer: Arc<Observer>,
    pub(crate) invocation: u64,
    worker: Option<Arc<str>>,
    /// The metering account of the worker, if it has one.
    account: Option<Arc<str>>,
    serial: u64,
    /// The invocation that called this one (a nested call), if any.
    parent: Option<u64>,
}

impl sink::Sink for InvocationCtx {
    fn log(&self, level: Level, message: &str) {
        InvocationCtx::log(self, level, message)
    }

    fn outbound(&self, record: &OutboundRecord) {
        InvocationCtx::outbound(self, record)
    }
}

impl InvocationCtx {
    /// Whether anyone is subscribed (nothing is built otherwise).
    pub(crate) fn live(&self) -> bool {
        self.observer.tx.receiver_count() > 0
    }

    pub(crate) fn emit(&self, kind: TailKind) {
        let _ = self.observer.tx.send(Arc::new(TailEvent {
            invocation: self.invocation,
            worker: self.worker.clone(),
            timestamp: now_ms(),
            kind,
            parent: self.parent,
            serial: self.serial,
        }));
    }

    pub(crate) fn log(&self, level: Level, message: &str) {
        if self.live() {
            self.emit(TailKind::Log {
                level,
                message: message.to_owned(),
            });
        }
    }

    pub(crate) fn outbound(&self, record: &OutboundRecord) {
        metrics::counter!(
            "sandbox_outbound_requests_total",
            "outcome" => record.outcome.as_str(),
            "rule" => record.rule.unwrap_or("none"),
        )
        .increment(1);
        if self.live() {
            self.emit(TailKind::Outbound {
                record: record.clone(),
            });
        }
    }
}

/// One invocation from start to outcome. Made when a call starts; [`Running::finish`] publishes
/// the outcome, meters and counts it. Dropped unfinished (the caller gave up on the future: a
/// client went away), it reports `canceled` with the CPU time used until then.
pub(crate) struct Running {
    pub ctx: InvocationCtx,
    kind: &'static str,
    started: std::time::Instant,
    /// The CPU meter of the sandbox in use, once there is one (for `canceled`).
    pub meter: Option<Arc<crate::sandbox::cpu::CpuMeter>>,
    pub cold: bool,
    finished: bool,
    span: tracing::Span,
}

impl Running {
    /// `kind` is `fetch` or `rpc`; `trigger` is only called when someone is tailing.
    pub(crate) fn start(
        observer: &Arc<Observer>,
        worker: Option<&Arc<str>>,
        account: Option<&Arc<str>>,
        serial: u64,
        parent: Option<u64>,
        kind: &'static str,
        trigger: impl FnOnce() -> Trigger,
    ) -> Running {
        let invocation = observer.next_invocation.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!(
            "sandbox.invoke",
            kind,
            invocation,
            worker = worker.map_or("", |w| &**w),
            outcome = tracing::field::Empty,
            cold = tracing::field::Empty,
            cpu_ms = tracing::field::Empty,
        );
        let ctx = InvocationCtx {
            observer: observer.clone(),
            invocation,
            worker: worker.cloned(),
            account: account.cloned(),
            serial,
            parent,
        };
        if ctx.live() {
            ctx.emit(TailKind::Start { event: trigger() });
        }
        Running {
            ctx,
            kind,
            started: std::time::Instant::now(),
            meter: None,
            cold: false,
            finished: false,
            span,
        }
    }

    /// The span the invocation's work runs in.
    pub(crate) fn span(&self) -> tracing::Span {
        self.span.clone()
    }

    /// Time since the invocation started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Publish the outcome; meter and count the invocation (which made `subrequests` outbound
    /// attempts).
    pub(crate) fn finish(
        &mut self,
        error: Option<&crate::Error>,
        cpu: Duration,
        wall: Duration,
        subrequests: usize,
    ) {
        self.finished = true;
        if let Some(crate::Error::Exception { message, stack }) = error {
            if self.ctx.live() {
                let (name, message) = split_error_name(message);
                self.ctx.emit(TailKind::Exception {
                    name,
                    message,
                    stack: stack.clone(),
                });
            }
        }
        let outcome = error.map_or(crate::Outcome::Ok, crate::Error::outcome);
        self.report(outcome, cpu, wall, subrequests);
    }

    fn report(&self, outcome: crate::Outcome, cpu: Duration, wall: Duration, subrequests: usize) {
        let start = if self.cold { "cold" } else { "warm" };
        let cpu_ms = cpu.as_secs_f64() * 1e3;
        self.span.record("outcome", outcome.as_str());
        self.span.record("cold", self.cold);
        self.span.record("cpu_ms", cpu_ms);
        metrics::counter!("sandbox_requests_total", "kind" => self.kind, "outcome" => outcome.as_str(), "start" => start)
            .increment(1);
        metrics::counter!("sandbox_cpu_microseconds_total").increment(cpu.as_micros() as u64);
        metrics::histogram!("sandbox_request_duration_seconds", "kind" => self.kind, "start" => start)
            .record(wall.as_secs_f64());
        if self.ctx.live() {
            self.ctx.emit(TailKind::Finish {
                outcome,
                cpu_time: cpu_ms,
                wall_time: wall.as_secs_f64() * 1e3,
                cold: self.cold,
            });
        }
        let usage = WorkerUsage {
            requests: 1,
            errors: u64::from(outcome != crate::Outcome::Ok),
            cpu_ms,
            cold_starts: u64::from(self.cold),
            subrequests: subrequests as u64,
        };
        let worker = self.ctx.worker.as_deref();
        let mut m = self.ctx.observer.metering.lock().unwrap();
        m.all.record(worker, self.ctx.serial, usage);
        if let Some(account) = &self.ctx.account {
            let ledger = match m.accounts.get_mut(&**account) {
                Some(l) => l,
                None => m.accounts.entry(account.clone()).or_default(),
            };
            ledger.record(worker, self.ctx.serial, usage);
        }
        if let Some(id) = worker {
            match m.workers.get_mut(id) {
                Some(u) => *u += usage,
                None => *m.workers.entry(id.to_owned()).or_default() += usage,
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.finished {
            let cpu = self
                .meter
                .as_ref()
                .map_or(Duration::ZERO, |m| m.used_idle());
            self.report(crate::Outcome::Canceled, cpu, self.started.elapsed(), 0);
        }
    }
}

/// `"TypeError: x is not a function"` -> `("TypeError", "x is not a function")`.
fn split_error_name(message: &str) -> (String, String) {
    if let Some((name, rest)) = message.split_once(": ") {
        let is_name = !name.is_empty()
            && name.len() <= 64
            && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if is_name {
            return (name.to_owned(), rest.to_owned());
        }
    }
    ("Error".to_owned(), message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_date(1_795_737_600_000), "2026-11-27");
        assert_eq!(utc_date(1_795_823_999_999), "2026-11-27");
    }

    #[test]
    fn error_names() {
        assert_eq!(
            split_error_name("TypeError: x is not a function"),
            ("TypeError".into(), "x is not a function".into())
        );
        assert_eq!(
            split_error_name("boom: with a colon"),
            ("Error".into(), "boom: with a colon".into())
        );
        assert_eq!(split_error_name("plain"), ("Error".into(), "plain".into()));
    }
}
