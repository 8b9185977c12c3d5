//! The `sandbox:worker` WIT package's host bindings, generated here and nowhere else.

wasmtime::component::bindgen!({
    path: "wit", // a link to the repository's wit/, so that the packaged crate carries it
    world: "engine",
    imports: { default: trappable },
    exports: { default: async },
    // wasi:http and what it uses come from wasmtime-wasi(-http), linked separately.
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "sandbox:worker/calls.pending-call": crate::wit::PendingCall,
    },
});

/// The `pending-call` resource: a call in flight that ends in a [`calls::Reply`](sandbox::worker::calls::Reply).
#[allow(unreachable_pub)]
pub type PendingCall = crate::host::pending::Pending<sandbox::worker::calls::Reply>;

pub(crate) use exports::sandbox::worker::guest::{HttpRequest, HttpResponse, WorkerSource};
pub(crate) use sandbox::worker::types::{ErrorKind, JsError, Module, ModuleKind};
