//! Glue for the `sandbox:worker/engine` world: what the wasm-sandbox host drives.

use crate::{Failure, Kind, ModuleType, Request, Source, SourceModule};

wit_bindgen::generate!({
    world: "engine",
    path: "../wit",
    generate_all,
});

use exports::sandbox::worker::guest::{
    Guest as WorkerGuest, HttpRequest, HttpResponse, JsError, WorkerSource,
};
use sandbox::worker::host::{self, LogLevel};
use sandbox::worker::types::{BindingKind, ErrorKind, ModuleKind};

struct Component;
export!(Component);

/// One console line to the host (it is delivered as it happens).
pub fn console(level: &str, message: &str) {
    let level = match level {
        "debug" => LogLevel::Debug,
        "info" => LogLevel::Info,
        "warn" => LogLevel::Warn,
        "error" => LogLevel::Error,
        _ => LogLevel::Log,
    };
    host::console(level, message);
}

fn to_wit(f: Failure) -> JsError {
    JsError {
        kind: match f.kind {
            Kind::Syntax => ErrorKind::Syntax,
            Kind::Exception => ErrorKind::Exception,
            Kind::NoDefaultExport => ErrorKind::NoDefaultExport,
            Kind::NoHandler => ErrorKind::NoHandler,
            Kind::BadReturn => ErrorKind::BadReturn,
            Kind::NeverSettled => ErrorKind::NeverSettled,
            Kind::InvalidWorker => ErrorKind::InvalidWorker,
            Kind::Internal => ErrorKind::Internal,
        },
        message: f.message,
        stack: f.stack,
    }
}

impl Guest for Component {
    fn wizer_initialize() {
        crate::initialize();
    }
}

/// Tell the host where this instance's linear memory is (`sandbox:worker/memory.anchor`): the
/// list is the whole memory from address 0. Called through the raw import because a Rust slice
/// may not start at address 0.
fn anchor_memory() {
    #[link(wasm_import_module = "sandbox:worker/memory@0.1.0")]
    extern "C" {
        #[link_name = "anchor"]
        fn anchor(ptr: i32, len: i32);
    }
    let len = core::arch::wasm32::memory_size(0) * 65536;
    // SAFETY: the import only reads the (ptr, len) pair; it does not access the memory.
    unsafe { anchor(0, len as i32) }
}

fn from_wit(request: HttpRequest) -> Request {
    Request {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        stream: None,
    }
}

fn to_wit_response(r: crate::Response) -> HttpResponse {
    HttpResponse {
        status: r.status,
        status_text: r.status_text,
        headers: r.headers,
        body: r.body,
    }
}

impl WorkerGuest for Component {
    fn load(source: WorkerSource) -> Result<(), JsError> {
        anchor_memory();
        let source = Source {
            main_module: source.main_module,
            modules: source
                .modules
                .into_iter()
                .map(|m| SourceModule {
                    name: m.name,
                    kind: match m.kind {
                        ModuleKind::Js => ModuleType::Js,
                        ModuleKind::Text => ModuleType::Text,
                        ModuleKind::Json => ModuleType::Json,
                        ModuleKind::Data => ModuleType::Data,
                    },
                    content: m.content,
                })
                .collect(),
            env_json: source.env_json,
            bindings: source
                .bindings
                .into_iter()
                .map(|b| crate::BindingDecl {
                    name: b.name,
                    kind: match b.kind {
                        BindingKind::Kv => "kv",
                        BindingKind::Tools => "tools",
                        BindingKind::Service => "service",
                        BindingKind::Files => "files",
                        BindingKind::Loader => "loader",
                    },
                    methods: b.methods,
                })
                .collect(),
        };
        crate::load(&source).map_err(to_wit)
    }

    fn fetch(
        entrypoint: Option<String>,
        props_json: Option<String>,
        request: HttpRequest,
    ) -> Result<HttpResponse, JsError> {
        crate::fetch(
            entrypoint.as_deref(),
            props_json.as_deref(),
            from_wit(request),
        )
        .map(to_wit_response)
        .map_err(to_wit)
    }

    fn fetch_streaming(
        entrypoint: Option<String>,
        props_json: Option<String>,
        request: HttpRequest,
        body: Option<wasi::http::types::IncomingBody>,
        out: wasi::http::types::ResponseOutparam,
    ) -> Result<Option<HttpResponse>, JsError> {
        let mut request = from_wit(request);
        request.stream = body;
        match crate::fetch_to(
            entrypoint.as_deref(),
            props_json.as_deref(),
            request,
            Some(out),
        )
        .0
        {
            Ok(crate::Reply::Whole(r)) => Ok(Some(to_wit_response(r))),
            Ok(crate::Reply::Streamed) => Ok(None),
            Err(f) => Err(to_wit(f)),
        }
    }

    fn call(
        entrypoint: Option<String>,
        props_json: Option<String>,
        method: String,
        args_json: String,
    ) -> Result<String, JsError> {
        crate::call(
            entrypoint.as_deref(),
            props_json.as_deref(),
            &method,
            &args_json,
        )
        .map_err(to_wit)
    }
}
