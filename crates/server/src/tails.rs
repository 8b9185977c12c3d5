//! Tail Workers: a worker's `"tails": ["<registered worker id>", ...]` receive a trace item for
//! each of its invocations, after the response (as on Cloudflare: `export default { tail(events)
//! {...} }`, events shaped like Cloudflare's `TraceItem`).
//!
//! Delivery runs in the background with its own budget (a tail worker is a request from the
//! daemon, not a nested call of the traced request), at most [`wasm_sandbox_spec::ids::MAX_TAILS`] tail workers per
//! worker, at most 8 deliveries in flight per tenant (one tenant's slow tail worker cannot take
//! the others' deliveries) and [`MAX_DELIVERIES`] daemon-wide (beyond: dropped and counted in
//! `sandbox_tail_dropped_total`). A tail worker's own invocations are not tailed.

use std::sync::Arc;

use serde_json::{json, Value};
use wasm_sandbox::{Error, Trace};

use crate::tenants::Tenant;
use crate::AppState;

/// Deliveries in flight at once, daemon-wide.
pub(crate) const MAX_DELIVERIES: usize = 64;

/// What the traced request was.
pub(crate) struct Traced<'a> {
    /// The worker's id as its tenant names it (`None` for an anonymous `/api/run`).
    pub script: Option<&'a str>,
    /// `fetch`: method and URL; `rpc`: the method.
    pub event: Value,
    /// The response status, if there was a response.
    pub status: Option<u16>,
}

/// A Cloudflare-shaped trace item for one invocation (the runtime's, as a child's tails get).
pub(crate) fn trace_item(traced: &Traced<'_>, trace: &Trace, error: Option<&Error>) -> Value {
    trace.trace_item(traced.script, traced.event.clone(), traced.status, error)
}

/// After a fetch invocation of a worker with `tails`: deliver its trace item (nothing to do,
/// and nothing built, without tails). `target` is the request's method and URI.
pub(crate) fn after_fetch(
    state: &Arc<AppState>,
    tenant: &Arc<Tenant>,
    tails: &[String],
    script: Option<&str>,
    target: Option<(http::Method, http::Uri)>,
    result: &Result<http::Response<bytes::Bytes>, Error>,
    trace: &Trace,
) {
    let Some((method, uri)) = target.filter(|_| !tails.is_empty()) else {
        return;
    };
    let traced = Traced {
        script,
        event: json!({ "request": { "method": method.as_str(), "url": uri.to_string() } }),
        status: result.as_ref().ok().map(|r| r.status().as_u16()),
    };
    deliver(
        state,
        tenant,
        tails,
        trace_item(&traced, trace, result.as_ref().err()),
    );
}

/// Deliver `item` to each tail worker in `tails` (the tenant's registered workers), in the
/// background.
pub(crate) fn deliver(state: &Arc<AppState>, tenant: &Arc<Tenant>, tails: &[String], item: Value) {
    for id in tails {
        let (Some(slot), Ok(permit)) = (
            tenant.enter_tail(),
            state.tail_deliveries.clone().try_acquire_owned(),
        ) else {
            metrics::counter!("sandbox_tail_dropped_total").increment(1);
            tracing::warn!(tail = %id, "tail delivery dropped: too many in flight");
            continue;
        };
        let (state, tenant, id, events) = (
            state.clone(),
            tenant.clone(),
            id.clone(),
            Value::Array(vec![item.clone()]),
        );
        tokio::spawn(async move {
            let (_permit, _slot) = (permit, slot);
            let worker = match crate::handlers::registered_worker(&state, &tenant, &id).await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(tail = %id, error = %e, "tail worker unavailable");
                    return;
                }
            };
            let (result, _) = worker
                .entrypoint(None)
                .call_traced("tail", vec![events])
                .await;
            if let Err(e) = result {
                metrics::counter!("sandbox_tail_failed_total").increment(1);
                tracing::warn!(tail = %id, error = %e, "tail worker failed");
            }
        });
    }
}
