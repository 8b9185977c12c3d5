//! Host bindings for the `sandbox:worker` WIT package, generated in one place.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "engine",
    imports: { default: trappable },
    exports: { default: async },
});

pub use exports::sandbox::worker::guest::{HttpRequest, HttpResponse, WorkerSource};
pub use sandbox::worker::host::LogLevel;
pub use sandbox::worker::types::{ErrorKind, JsError, Module, ModuleKind};
