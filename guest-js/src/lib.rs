//! The wasm-sandbox engine guest: QuickJS (through javy) plus the Workers Web API prelude.
//!
//! Built for `wasm32-wasip2`, then pre-initialized with wasmtime-wizer: `wizer-initialize` creates
//! the QuickJS runtime and context, registers the native helpers and evaluates `prelude.js`, and the
//! resulting memory is the snapshot every instance starts from. After a restore the instance is
//! reseeded from `wasi:random` on its first call, so instances never share random sequences.
//!
//! Per worker the host calls `load` once (modules are declared, then the main module evaluated) and
//! `fetch` once per request. The event loop lives in [`event_loop`]: it runs microtasks, then sleeps
//! until the next timer, until the handler's promise settles or nothing is left to wait for.

mod event_loop;
mod loader;
mod natives;

use std::cell::RefCell;

use javy::quickjs::{Array, Ctx, Function, Module, Object, Persistent, Promise, TypedArray, Value};

use exports::sandbox::worker::guest::{
    Guest as WorkerGuest, HttpRequest, HttpResponse, JsError, WorkerSource,
};
use sandbox::worker::types::{ErrorKind, ModuleKind};

wit_bindgen::generate!({
    world: "engine",
    path: "../wit",
});

/// The prelude: the Web API surface (Request, Response, Headers, URL, timers, console, ...),
/// written in JS over a handful of natives. Evaluated once, at snapshot time.
const PRELUDE: &str = include_str!("prelude.js");

/// Everything the engine keeps between calls, inside this instance.
struct Engine {
    runtime: javy::Runtime,
    /// The prelude's internal object (dispatch, timers, module data), hidden from scripts.
    internals: Persistent<Object<'static>>,
    /// Whether `load` succeeded in this instance.
    loaded: bool,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    /// False in the snapshot, so every restored instance reseeds before running any script code.
    static SEEDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct Component;
export!(Component);

impl Component {
    fn init_engine() -> Engine {
        let mut config = javy::Config::default();
        // QuickJS checks its own stack depth and throws `RangeError` well before the wasm stack
        // or the shadow stack in linear memory runs out.
        config.max_stack_size(256 * 1024);
        let runtime = javy::Runtime::new(config).expect("QuickJS runtime");
        let internals = runtime.context().with(|ctx| {
            let native = natives::register(&ctx).expect("natives");
            let setup: Function<'_> = ctx
                .eval(PRELUDE)
                .unwrap_or_else(|e| panic!("prelude: {}", describe(&ctx, e).message));
            let internals: Object<'_> = setup
                .call((native,))
                .unwrap_or_else(|e| panic!("prelude setup: {}", describe(&ctx, e).message));
            Persistent::save(&ctx, internals)
        });
        Engine {
            runtime,
            internals,
            loaded: false,
        }
    }
}

/// Reseed everything random from the host the first time this instance runs script code.
fn ensure_seeded() {
    SEEDED.with(|seeded| {
        if !seeded.get() {
            let seed = getrandom::u64().unwrap_or(0x853c_49e6_748f_ea9b);
            fastrand::seed(seed);
            seeded.set(true);
        }
    });
}

fn with_engine<R>(f: impl FnOnce(&mut Engine) -> Result<R, JsError>) -> Result<R, JsError> {
    ensure_seeded();
    ENGINE.with(|cell| {
        let mut guard = cell.borrow_mut();
        if guard.is_none() {
            // Not pre-initialized (e.g. a plain, un-snapshotted build): initialize lazily.
            *guard = Some(Component::init_engine());
        }
        f(guard.as_mut().expect("engine"))
    })
}

fn error(kind: ErrorKind, message: impl Into<String>) -> JsError {
    JsError {
        kind,
        message: message.into(),
        stack: None,
    }
}

/// Turn the pending exception (after a failed rquickjs call) into a [`JsError`].
fn describe(ctx: &Ctx<'_>, err: javy::quickjs::Error) -> JsError {
    if !err.is_exception() {
        return error(ErrorKind::Internal, err.to_string());
    }
    let value = ctx.catch();
    describe_value(ctx, value)
}

/// Describe a thrown (or rejected-with) JS value.
fn describe_value<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> JsError {
    if let Some(obj) = value.as_object() {
        let kind = obj
            .get::<_, Option<String>>("__sandboxKind")
            .ok()
            .flatten()
            .map(|k| match k.as_str() {
                "no-default-export" => ErrorKind::NoDefaultExport,
                "no-handler" => ErrorKind::NoHandler,
                "bad-return" => ErrorKind::BadReturn,
                "invalid-worker" => ErrorKind::InvalidWorker,
                _ => ErrorKind::Exception,
            });
        if obj.is_error() || kind.is_some() {
            let name: String = obj
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_else(|| "Error".into());
            let message: String = obj
                .get::<_, Option<String>>("message")
                .ok()
                .flatten()
                .unwrap_or_default();
            let stack = obj
                .get::<_, Option<String>>("stack")
                .ok()
                .flatten()
                .map(|s| user_frames(&s))
                .filter(|s| !s.is_empty());
            let kind = kind.unwrap_or(if name == "SyntaxError" {
                ErrorKind::Syntax
            } else {
                ErrorKind::Exception
            });
            let message = match kind {
                ErrorKind::NoDefaultExport
                | ErrorKind::NoHandler
                | ErrorKind::BadReturn
                | ErrorKind::InvalidWorker => message,
                _ if message.is_empty() => name,
                _ => format!("{name}: {message}"),
            };
            return JsError {
                kind,
                message,
                stack,
            };
        }
    }
    // `throw "text"`, `throw 42`, `throw {..}`: show what was thrown.
    let internals_string = ctx
        .globals()
        .get::<_, Function<'_>>("String")
        .and_then(|s| s.call::<_, String>((value,)))
        .unwrap_or_else(|_| "<unprintable value>".into());
    error(
        ErrorKind::Exception,
        format!("Uncaught (thrown value) {internals_string}"),
    )
}

/// The stack without the engine's own frames (the prelude, native calls), which say nothing
/// to the script's author.
fn user_frames(stack: &str) -> String {
    stack
        .lines()
        .filter(|l| !l.contains("eval_script") && !l.trim_end().ends_with("(native)"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A syntax error's message, led by its `module:line:column`.
fn syntax_error(ctx: &Ctx<'_>, err: javy::quickjs::Error, module: &str) -> JsError {
    let mut e = describe(ctx, err);
    if e.kind == ErrorKind::Exception && e.message.starts_with("SyntaxError") {
        e.kind = ErrorKind::Syntax;
    }
    if e.kind == ErrorKind::Syntax {
        let location = e
            .stack
            .as_deref()
            .and_then(|s| s.lines().find_map(|l| l.trim().strip_prefix("at ")))
            .map(|l| l.trim_start_matches('(').trim_end_matches(')').to_string())
            .unwrap_or_else(|| module.to_string());
        e.message = format!("{location}: {}", e.message);
    }
    e
}

/// The synthetic ES module source for a non-JS module (text, json, data).
fn module_source(m: &sandbox::worker::types::Module) -> Result<String, JsError> {
    let as_text = || {
        String::from_utf8(m.content.clone()).map_err(|_| {
            error(
                ErrorKind::InvalidWorker,
                format!("module `{}` is not valid UTF-8", m.name),
            )
        })
    };
    Ok(match m.kind {
        ModuleKind::Js => as_text()?,
        ModuleKind::Text => {
            let text = as_text()?;
            format!("export default {};", natives::js_string_literal(&text))
        }
        // The host validated the JSON; JSON is a subset of JS expressions (with U+2028/9 escaped).
        ModuleKind::Json => format!(
            "export default ({});",
            as_text()?
                .replace('\u{2028}', "\\u2028")
                .replace('\u{2029}', "\\u2029")
        ),
        ModuleKind::Data => format!(
            "export default globalThis[Symbol.for('sandbox.internals')].dataModule({});",
            natives::js_string_literal(&m.name)
        ),
    })
}

impl WorkerGuest for Component {
    fn load(source: WorkerSource) -> Result<(), JsError> {
        with_engine(|engine| {
            if engine.loaded {
                return Err(error(
                    ErrorKind::InvalidWorker,
                    "this instance already has a worker loaded",
                ));
            }
            let internals = engine.internals.clone();
            let result = engine.runtime.context().with(|ctx| -> Result<(), JsError> {
                let internals = internals.restore(&ctx).map_err(|e| describe(&ctx, e))?;
                for m in source.modules.iter().filter(|m| m.kind == ModuleKind::Data) {
                    let buf = javy::quickjs::ArrayBuffer::new(ctx.clone(), m.content.clone())
                        .map_err(|e| describe(&ctx, e))?;
                    let register: Function<'_> = internals
                        .get("setDataModule")
                        .map_err(|e| describe(&ctx, e))?;
                    register
                        .call::<_, ()>((m.name.as_str(), buf))
                        .map_err(|e| describe(&ctx, e))?;
                }
                let mut sources = std::collections::HashMap::new();
                for m in &source.modules {
                    sources.insert(m.name.clone(), module_source(m)?);
                }
                let main_source = sources.get(&source.main_module).cloned().ok_or_else(|| {
                    error(
                        ErrorKind::InvalidWorker,
                        format!(
                            "main module `{}` is not among the modules",
                            source.main_module
                        ),
                    )
                })?;
                loader::install(&ctx, sources);
                let main = Module::declare(ctx.clone(), source.main_module.as_str(), main_source)
                    .map_err(|e| syntax_error(&ctx, e, &source.main_module))?;
                let (evaluated, promise) = main
                    .eval()
                    .map_err(|e| syntax_error(&ctx, e, &source.main_module))?;
                event_loop::drive(&ctx, &internals, promise)?;
                let namespace = evaluated.namespace().map_err(|e| describe(&ctx, e))?;
                let set_worker: Function<'_> =
                    internals.get("setWorker").map_err(|e| describe(&ctx, e))?;
                set_worker
                    .call::<_, ()>((namespace, source.env_json.as_str()))
                    .map_err(|e| describe(&ctx, e))?;
                Ok(())
            });
            if result.is_ok() {
                engine.loaded = true;
            }
            result
        })
    }

    fn fetch(entrypoint: Option<String>, request: HttpRequest) -> Result<HttpResponse, JsError> {
        with_engine(|engine| {
            if !engine.loaded {
                return Err(error(
                    ErrorKind::InvalidWorker,
                    "no worker is loaded in this instance",
                ));
            }
            let internals = engine.internals.clone();
            engine.runtime.context().with(|ctx| {
                let internals = internals.restore(&ctx).map_err(|e| describe(&ctx, e))?;
                let dispatch: Function<'_> = internals
                    .get("dispatchFetch")
                    .map_err(|e| describe(&ctx, e))?;
                let headers = Array::new(ctx.clone()).map_err(|e| describe(&ctx, e))?;
                for (i, (k, v)) in request.headers.iter().enumerate() {
                    let pair = Array::new(ctx.clone()).map_err(|e| describe(&ctx, e))?;
                    pair.set(0, k.as_str()).map_err(|e| describe(&ctx, e))?;
                    pair.set(1, v.as_str()).map_err(|e| describe(&ctx, e))?;
                    headers.set(i, pair).map_err(|e| describe(&ctx, e))?;
                }
                let body = match request.body {
                    Some(b) => {
                        Some(TypedArray::<u8>::new(ctx.clone(), b).map_err(|e| describe(&ctx, e))?)
                    }
                    None => None,
                };
                let promise: Promise<'_> = dispatch
                    .call((entrypoint, request.method, request.url, headers, body))
                    .map_err(|e| describe(&ctx, e))?;
                let value = event_loop::drive(&ctx, &internals, promise)?;
                response_from_js(&ctx, value)
            })
        })
    }
}

/// `[status, statusText, [[name, value]...], Uint8Array]` (built by the prelude) -> the WIT record.
fn response_from_js(ctx: &Ctx<'_>, value: Value<'_>) -> Result<HttpResponse, JsError> {
    let bad = |what: &str| {
        error(
            ErrorKind::Internal,
            format!("malformed response from dispatch: {what}"),
        )
    };
    let arr = value.into_array().ok_or_else(|| bad("not an array"))?;
    let status: u16 = arr.get(0).map_err(|e| describe(ctx, e))?;
    let status_text: String = arr.get(1).map_err(|e| describe(ctx, e))?;
    let header_arr: Array<'_> = arr.get(2).map_err(|e| describe(ctx, e))?;
    let mut headers = Vec::with_capacity(header_arr.len());
    for pair in header_arr.iter::<Array<'_>>() {
        let pair = pair.map_err(|e| describe(ctx, e))?;
        headers.push((
            pair.get::<String>(0).map_err(|e| describe(ctx, e))?,
            pair.get::<String>(1).map_err(|e| describe(ctx, e))?,
        ));
    }
    let body: TypedArray<'_, u8> = arr.get(3).map_err(|e| describe(ctx, e))?;
    let body = body
        .as_bytes()
        .ok_or_else(|| bad("detached body"))?
        .to_vec();
    Ok(HttpResponse {
        status,
        status_text,
        headers,
        body,
    })
}

impl Guest for Component {
    fn wizer_initialize() {
        ENGINE.with(|cell| *cell.borrow_mut() = Some(Component::init_engine()));
    }
}
