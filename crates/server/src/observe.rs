//! The daemon's observability endpoints: the live tail (`GET /workers/{id}/tail`), Prometheus
//! metrics (`GET /metrics`) and metering (`GET /usage`, `GET /usage/{id}`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body::{Body, Frame};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::mpsc;
use wasm_sandbox::{TailEvent, TailItem, WorkerUsage};

use crate::keys::CacheKey;
use crate::tenants::Tenant;
use crate::AppState;

/// A comment line is sent this often on an idle tail, so proxies keep it open and a client that
/// went away is noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// The daemon's Prometheus recorder, installed once per process on first use. `None` when the
/// embedding process installed another recorder first.
///
/// Every series carries `replica` (the first daemon's name in a process that runs several).
pub(crate) fn prometheus(replica: &str) -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let seconds = [
                0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ];
            let builder = PrometheusBuilder::new()
                .add_global_label("replica", replica)
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), &seconds)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics shows the daemon's gauges only");
                    None
                }
            }
        })
        .as_ref()
}

/// `GET /metrics`: Prometheus text. Counters and histograms come from the runtime as requests
/// run; the cache and pool gauges are read now.
pub(crate) fn metrics_text(state: &AppState) -> String {
    let cache = state.loader.cache_stats();
    let pool = state.loader.pool_stats();
    metrics::gauge!("sandbox_cached_workers").set(cache.workers as f64);
    metrics::gauge!("sandbox_cached_bytes").set(cache.bytes as f64);
    metrics::counter!("sandbox_cache_evictions_total").absolute(cache.evictions);
    metrics::gauge!("sandbox_instances", "state" => "live").set(pool.live as f64);
    metrics::gauge!("sandbox_instances_capacity").set(pool.capacity as f64);
    metrics::gauge!("sandbox_running").set(pool.running as f64);
    metrics::gauge!("sandbox_running_peak").set(pool.running_peak as f64);
    metrics::gauge!("sandbox_running_capacity").set(pool.max_running as f64);
    metrics::counter!("sandbox_running_waits_total").absolute(pool.running_waits);
    metrics::gauge!("sandbox_requests_in_flight")
        .set((state.config.max_concurrent_requests - state.permits.available_permits()) as f64);
    match prometheus(&state.replica) {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

/// Metering per daemon id of `tenant`: a registered worker's versions and `/api/get/{id}` add
/// up; other tenants' workers are not shown.
fn usage_by_daemon_id(
    state: &AppState,
    tenant: &Tenant,
) -> (BTreeMap<String, WorkerUsage>, wasm_sandbox::Usage) {
    let usage = state.loader.usage();
    let mut workers: BTreeMap<String, WorkerUsage> = BTreeMap::new();
    for (loader_id, u) in &usage.workers {
        if let Some(id) =
            CacheKey::parse(loader_id).and_then(|k| tenant.own_id(k.scoped()).map(str::to_owned))
        {
            *workers.entry(id).or_default() += *u;
        }
    }
    (workers, usage)
}

/// `GET /usage`: the tenant's metering since the daemon started: per worker id, its anonymous
/// `/api/run` workers together, and its unique workers loaded per UTC day.
pub(crate) fn usage(state: &AppState, tenant: &Tenant) -> serde_json::Value {
    let (workers, _) = usage_by_daemon_id(state, tenant);
    let own = state.loader.account_usage(&tenant.name);
    serde_json::json!({
        "ok": true,
        "tenant": tenant.name,
        "replica": state.replica,
        "workers": workers,
        "anonymous": own.anonymous,
        "days": own.days,
    })
}

/// `GET /usage/{id}`: one worker id's metering (zeros if it never ran).
pub(crate) fn worker_usage(state: &AppState, tenant: &Tenant, id: &str) -> serde_json::Value {
    let total = usage_by_daemon_id(state, tenant)
        .0
        .remove(id)
        .unwrap_or_default();
    let mut v = serde_json::to_value(total).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("ok".into(), true.into());
        o.insert("id".into(), id.into());
        o.insert("replica".into(), state.replica.clone().into());
    }
    v
}

/// How a tail is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TailFormat {
    /// `text/event-stream`: `event: <type>` + `data: <json>` per event.
    Sse,
    /// `application/x-ndjson`: one JSON object per line.
    Ndjson,
}

impl TailFormat {
    /// NDJSON when asked for by `?format=ndjson` or `Accept: application/x-ndjson`; else SSE.
    pub(crate) fn choose(query: Option<&str>, headers: &http::HeaderMap) -> TailFormat {
        let by_query = query.is_some_and(|q| q.split('&').any(|kv| kv == "format=ndjson"));
        let by_accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/x-ndjson"));
        if by_query || by_accept {
            TailFormat::Ndjson
        } else {
            TailFormat::Sse
        }
    }

    /// The event as the daemon shows it: `worker` is the tenant's id `id` (`version` added for
    /// a registered worker), not the loader's cache key.
    fn event(self, e: &TailEvent, id: &str) -> Bytes {
        let mut value = serde_json::to_value(e).unwrap_or_default();
        if let (Some(o), Some(key)) = (
            value.as_object_mut(),
            e.worker.as_deref().and_then(CacheKey::parse),
        ) {
            o.insert("worker".into(), id.into());
            if let Some(version) = key.version() {
                o.insert("version".into(), version.into());
            }
        }
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("event")
            .to_owned();
        let json = value.to_string();
        match self {
            TailFormat::Sse => Bytes::from(format!("event: {kind}\ndata: {json}\n\n")),
            TailFormat::Ndjson => Bytes::from(format!("{json}\n")),
        }
    }

    /// A line that carries a note: an SSE comment, or an NDJSON object of `type` `note`.
    fn note(self, kind: &str, message: &str) -> Bytes {
        match self {
            TailFormat::Sse => Bytes::from(format!(": {kind}: {message}\n\n")),
            TailFormat::Ndjson => Bytes::from(format!(
                "{}\n",
                serde_json::json!({ "type": kind, "message": message })
            )),
        }
    }
}

/// A streaming response body fed by the tail task.
pub(crate) struct TailBody(mpsc::Receiver<Bytes>);

impl Body for TailBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// `GET /workers/{id}/tail`: every invocation of worker `id` (registered or `/api/get`), live,
/// from now until the client disconnects or the daemon shuts down. The first line says the
/// subscription is open: anything run after it has been read is in the stream.
pub(crate) fn tail(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    id: &str,
    format: TailFormat,
) -> Response<TailBody> {
    let mut tail = state.loader.tail();
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let id = id.to_owned();
    // Only this tenant's worker of that id: the tail matches on the scoped id.
    let scoped = tenant.scoped_id(&id);
    let mut closing = state.closing.subscribe();
    let opened = format.note("attached", &format!("tailing worker `{id}`"));
    tokio::spawn(async move {
        if tx.send(opened).await.is_err() {
            return;
        }
        loop {
            let item = tokio::select! {
                item = tail.recv() => item,
                _ = tokio::time::sleep(KEEPALIVE) => {
                    if tx.send(format.note("keepalive", "")).await.is_err() {
                        return;
                    }
                    continue;
                }
                _ = closing.changed() => return,
            };
            let chunk = match item {
                None => return,
                Some(TailItem::Event(e)) => {
                    let key = e.worker.as_deref().and_then(CacheKey::parse);
                    if key.as_ref().map(CacheKey::scoped) != Some(scoped.as_str()) {
                        continue;
                    }
                    format.event(&e, &id)
                }
                Some(TailItem::Lagged(n)) => format.note(
                    "lagged",
                    &format!("{n} events were dropped because this client fell behind"),
                ),
            };
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
    });
    let mut r = Response::new(TailBody(rx));
    *r.status_mut() = StatusCode::OK;
    let content_type = match format {
        TailFormat::Sse => "text/event-stream",
        TailFormat::Ndjson => "application/x-ndjson",
    };
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}
