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
use sandbox::worker::types::{ErrorKind, ModuleKind};

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

impl WorkerGuest for Component {
    fn load(source: WorkerSource) -> Result<(), JsError> {
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
        };
        crate::load(&source).map_err(to_wit)
    }

    fn fetch(entrypoint: Option<String>, request: HttpRequest) -> Result<HttpResponse, JsError> {
        let request = Request {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
        };
        crate::fetch(entrypoint.as_deref(), request)
            .map(|r| HttpResponse {
                status: r.status,
                status_text: r.status_text,
                headers: r.headers,
                body: r.body,
            })
            .map_err(to_wit)
    }
}
