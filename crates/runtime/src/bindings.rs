//! Host bindings for the `sandbox:worker` WIT package, generated in one place.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "engine",
    imports: { default: trappable },
    exports: { default: async },
    // wasi:http and what it uses come from wasmtime-wasi(-http), linked separately.
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "sandbox:worker/calls.pending-call": crate::binding::PendingCall,
    },
});

pub use exports::sandbox::worker::guest::{HttpRequest, HttpResponse, WorkerSource};
pub use sandbox::worker::host::LogLevel;
pub use sandbox::worker::types::{ErrorKind, JsError, Module, ModuleKind};
