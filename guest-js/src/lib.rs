//! The wasm-sandbox engine guest: QuickJS (through javy) plus the Workers Web API prelude.
//!
//! Built for `wasm32-wasip2`, then pre-initialized with wasmtime-wizer: `wizer-initialize` creates
//! the QuickJS runtime and context, registers the native helpers ([`natives`], the bindings' in
//! [`calls`]) and evaluates the prelude (`js/`), and the resulting memory is the snapshot every
//! instance starts from. After a restore the instance is
//! reseeded from `wasi:random` on its first call, so instances never share random sequences.
//!
//! The engine logic here is world-independent ([`load`], [`fetch`]); two thin glues expose it:
//! - `engine_world` (default): the `sandbox:worker/engine` world the wasm-sandbox host drives —
//!   `load` once per instance, `fetch` (or `fetch-streaming`, or an RPC `call`) per request,
//!   console lines to the host, and the bindings (`calls`) it lends;
//! - `standalone_world` (feature `standalone`): a `wasi:http/proxy` component whose snapshot
//!   already holds one worker (`wasm-sandbox compile`); console lines go to stderr.
//!
//! The event loop lives in [`event_loop`]: it runs microtasks, then waits for the next timer, a
//! fetch, a binding call or room for a streamed body, until the handler's promise settles or
//! nothing is left to wait for.

mod builtins;
#[cfg(not(feature = "standalone"))]
mod calls;
mod crypto;
mod event_loop;
mod loader;
mod natives;
mod outbound;
mod respond;
/// The module-source rules the host shares with the guest, `crates/spec/src/js.rs` (one
/// implementation), compiled into this crate by path. Not a path dependency on the spec crate: a
/// package outside this workspace is identified by its absolute path, which goes into this
/// crate's `-C metadata`, its symbol hashes and so the engine's bytes; by path, a checkout
/// anywhere builds the same bytes.
#[path = "../../crates/spec/src/js.rs"]
mod spec_js;

#[cfg(not(feature = "standalone"))]
mod engine_world;
#[cfg(feature = "standalone")]
mod standalone_world;

#[cfg(not(feature = "standalone"))]
pub(crate) use engine_world::console;
#[cfg(feature = "standalone")]
pub(crate) use standalone_world::console;

use std::cell::RefCell;

use javy::quickjs::{Array, Ctx, Function, Module, Object, Persistent, TypedArray, Value};

/// The prelude: the Web API surface (Request, Response, Headers, URL, timers, console, ...),
/// written in JS over a handful of natives. Evaluated once, at snapshot time.
///
/// One file per API under `js/`, in this order. They are the body of one setup function
/// (`begin.js` opens it, `end.js` returns the engine's internals and closes it), so a file may use
/// what an earlier one declared. Code that most scripts never touch (the `node:` modules, the
/// larger Web APIs) is not listed here: it is compiled on first use (see [`builtins`]), so it
/// costs the snapshot and every instance nothing until a script asks for it.
const PRELUDE: &str = concat!(
    include_str!("js/begin.js"),
    include_str!("js/helpers.js"),
    include_str!("js/console.js"),
    include_str!("js/timers.js"),
    include_str!("js/base64.js"),
    include_str!("js/domexception.js"),
    include_str!("js/encoding.js"),
    include_str!("js/crypto.js"),
    include_str!("js/structured_clone.js"),
    include_str!("js/url.js"),
    include_str!("js/headers.js"),
    include_str!("js/streams.js"),
    include_str!("js/blob.js"),
    include_str!("js/body.js"),
    include_str!("js/request.js"),
    include_str!("js/response.js"),
    include_str!("js/fetch.js"),
    include_str!("js/bindings.js"),
    include_str!("js/kv.js"),
    include_str!("js/tools.js"),
    include_str!("js/service.js"),
    include_str!("js/files.js"),
    include_str!("js/loader.js"),
    include_str!("js/dispatch.js"),
    include_str!("js/globals.js"),
    include_str!("js/builtins.js"),
    include_str!("js/end.js"),
);

/// Why a load or a call failed (the WIT `error-kind`, world-independent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Syntax,
    Exception,
    NoDefaultExport,
    NoHandler,
    BadReturn,
    NeverSettled,
    InvalidWorker,
    Internal,
}

/// A failure with its message and (for exceptions) the JS stack.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub stack: Option<String>,
}

/// How a module's bytes are interpreted.
pub use spec_js::ModuleKind as ModuleType;

pub struct SourceModule {
    pub name: String,
    pub kind: ModuleType,
    pub content: Vec<u8>,
}

/// A binding added to `env`: its name, kind (`kv`, `tools`, `service`, `files`: the prelude's
/// `bindingKinds`) and methods (tool names).
pub struct BindingDecl {
    pub name: String,
    pub kind: &'static str,
    pub methods: Vec<String>,
}

pub struct Source {
    pub main_module: String,
    pub modules: Vec<SourceModule>,
    pub env_json: String,
    pub bindings: Vec<BindingDecl>,
}

pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The body still arriving (then `body` is none): the script reads it as it comes.
    pub stream: Option<outbound::IncomingBody>,
}

pub struct Response {
    pub status: u16,
    pub status_text: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

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

fn init_engine() -> Engine {
    let mut config = javy::Config::default();
    // QuickJS checks its own stack depth and throws `RangeError` before the wasm stack or the
    // shadow stack in linear memory runs out (wasmtime's stack guard backs it up).
    config.max_stack_size(256 * 1024);
    let runtime = javy::Runtime::new(config).expect("QuickJS runtime");
    let internals = runtime.context().with(|ctx| {
        pin_common_atoms(&ctx);
        let native = natives::register(&ctx).expect("natives");
        let setup: Function<'_> = eval_prelude(&ctx)
            .and_then(|v| v.get())
            .unwrap_or_else(|e| panic!("prelude: {}", describe(&ctx, e).message));
        let internals: Object<'_> = setup
            .call((native,))
            .unwrap_or_else(|e| panic!("prelude setup: {}", describe(&ctx, e).message));
        materialize_builtins(&ctx);
        Persistent::save(&ctx, internals)
    });
    Engine {
        runtime,
        internals,
        loaded: false,
    }
}

/// Create every built-in QuickJS creates on first use, now, into the snapshot.
///
/// QuickJS defines most built-in functions and a few objects as placeholders (an "autoinit"
/// property: its realm and a pointer to the definition) and creates the real value the first time
/// the property is read. In a snapshot that first read happens in every instance: it rewrites
/// the property's slot and flags wherever its object sits, so a worker that calls `JSON.parse`,
/// `Object.freeze` or `Array.prototype.map` copies each of those snapshot pages into its own
/// memory, for good. Reading every property reachable from the global object once here (own
/// properties, accessors and prototypes; not the lazily created `prototype` of plain script
/// functions, which nothing reads) leaves none for a worker to create.
fn materialize_builtins(ctx: &Ctx<'_>) {
    const WALK: &str = r#"(() => {
      const fnText = Function.prototype.toString;
      const seen = new Set();
      const stack = [globalThis];
      while (stack.length > 0) {
        const o = stack.pop();
        if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
        seen.add(o);
        let keys;
        try { keys = Reflect.ownKeys(o); } catch { continue; }
        let plainFunction = false;
        if (typeof o === "function") {
          try { const t = fnText.call(o); plainFunction = !t.startsWith("class") && !t.includes("[native code]"); } catch {}
        }
        for (const k of keys) {
          if (plainFunction && k === "prototype") continue;
          let d;
          try { d = Reflect.getOwnPropertyDescriptor(o, k); } catch { continue; }
          if (d === undefined) continue;
          if ("value" in d) stack.push(d.value); else stack.push(d.get, d.set);
        }
        try { stack.push(Reflect.getPrototypeOf(o)); } catch {}
      }
    })()"#;
    let _: () = ctx
        .eval(WALK)
        .unwrap_or_else(|e| panic!("materialize built-ins: {}", describe(ctx, e).message));
}

/// Names nearly every worker uses (as property keys or string literals), made atoms first.
///
/// An atom's string carries a reference count, written whenever a compiled module, a new shape
/// or a string value takes a reference: a worker's module that says `fetch`, `request`, `env`
/// and `Response` writes to four atoms. Created here, before anything else, they sit side by side
/// on one or two pages instead of wherever the prelude's parser first met them, so a worker
/// copies those pages into its instance, not one page per name. The references are kept forever.
const COMMON_ATOMS: &[&str] = &[
    "fetch",
    "request",
    "env",
    "ctx",
    "event",
    "Response",
    "Request",
    "Headers",
    "URL",
    "URLSearchParams",
    "json",
    "text",
    "arrayBuffer",
    "method",
    "url",
    "headers",
    "body",
    "statusText",
    "pathname",
    "search",
    "searchParams",
    "hostname",
    "host",
    "origin",
    "href",
    "protocol",
    "port",
    "hash",
    "params",
    "query",
    "waitUntil",
    "passThroughOnException",
    "scheduled",
    "queue",
    "namespace",
    "call",
    "apply",
    "bind",
    "clear",
    "parse",
    "stringify",
    "toUpperCase",
    "toLowerCase",
    "startsWith",
    "endsWith",
    "includes",
    "split",
    "slice",
    "join",
    "replace",
    "trim",
    "push",
    "map",
    "filter",
    "forEach",
    "keys",
    "values",
    "entries",
    "data",
    "error",
    "message",
    "result",
    "type",
    "id",
    "key",
    "list",
    "put",
    "delete",
    "content-type",
    "Content-Type",
    "application/json",
    "text/plain",
    "GET",
    "POST",
    "Hello",
];

fn pin_common_atoms(ctx: &Ctx<'_>) {
    use javy::quickjs::qjs;
    let raw = ctx.as_raw().as_ptr();
    for name in COMMON_ATOMS {
        // SAFETY: plain FFI on a live context; the atom's reference is deliberately kept.
        unsafe {
            qjs::JS_NewAtomLen(raw, name.as_ptr().cast(), name.len() as _);
        }
    }
}

/// Evaluate the prelude from bytecode without its functions' source text and line tables.
///
/// QuickJS keeps a copy of every function's source (for `toString`) and its line table, each
/// allocated between the objects the prelude creates. Compiled, written stripped and read back,
/// the prelude's live objects sit closer together, so the snapshot pages a request touches (and
/// each instance then owns a private copy of) are fewer. Prelude functions print as native code.
fn eval_prelude<'js>(ctx: &Ctx<'js>) -> javy::quickjs::Result<Value<'js>> {
    eval_stripped(ctx, PRELUDE, c"prelude.js")
}

/// Compile `code` (a global script, NUL-free), drop its source text and line tables, and
/// evaluate it: the prelude, and each built-in's factory on first use.
pub(crate) fn eval_stripped<'js>(
    ctx: &Ctx<'js>,
    code: &str,
    file: &std::ffi::CStr,
) -> javy::quickjs::Result<Value<'js>> {
    use javy::quickjs::qjs;
    let raw = ctx.as_raw().as_ptr();
    // QuickJS's parser needs the terminating NUL.
    let source = std::ffi::CString::new(code).expect("built-in JS has no NUL");
    // SAFETY: FFI on this context's own values; every value is freed or handed on exactly once.
    unsafe {
        let compiled = qjs::JS_Eval(
            raw,
            source.as_ptr(),
            code.len() as _,
            file.as_ptr(),
            (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32,
        );
        if qjs::JS_IsException(compiled) {
            return Err(javy::quickjs::Error::Exception);
        }
        let mut size: qjs::size_t = 0;
        let bytes = qjs::JS_WriteObject(
            raw,
            &mut size,
            compiled,
            (qjs::JS_WRITE_OBJ_BYTECODE
                | qjs::JS_WRITE_OBJ_STRIP_SOURCE
                | qjs::JS_WRITE_OBJ_STRIP_DEBUG) as i32,
        );
        qjs::JS_FreeValue(raw, compiled);
        if bytes.is_null() {
            return Err(javy::quickjs::Error::Exception);
        }
        let function = qjs::JS_ReadObject(raw, bytes, size, qjs::JS_READ_OBJ_BYTECODE as i32);
        qjs::js_free(raw, bytes.cast());
        if qjs::JS_IsException(function) {
            return Err(javy::quickjs::Error::Exception);
        }
        let value = qjs::JS_EvalFunction(raw, function);
        if qjs::JS_IsException(value) {
            return Err(javy::quickjs::Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), value))
    }
}

/// Build-time initialization (wizer): the runtime, context and prelude.
pub fn initialize() {
    align_heap();
    ENGINE.with(|cell| {
        let engine = init_engine();
        engine
            .runtime
            .context()
            .with(|ctx| collect_cycles_after(&ctx, GC_HEADROOM));
        *cell.borrow_mut() = Some(engine);
    });
    seal_heap();
}

/// How many more live allocations the JS heap may hold than it did in the snapshot before the
/// first cycle collection (about 1.5 MiB of small objects).
const GC_HEADROOM: i64 = 32 * 1024;

/// Collect cyclic garbage once the JS heap holds `headroom` more live allocations than now.
///
/// QuickJS frees most garbage by reference counting; only cycles need its collector, which javy
/// turns off (`gc_threshold` = max) because its instances are short-lived. Ours serve many
/// requests, so a script that leaves a cycle behind per request would otherwise grow until it
/// hits its memory limit. The collector is not free for us either: its mark phase writes to every
/// object, so the first collection copies every snapshot page the heap spans into the instance.
/// Waiting for `headroom` new live allocations keeps that off the instances that stay small (most
/// of them); after a collection QuickJS itself sets the next threshold to 1.5x the live heap.
///
/// The threshold is in QuickJS's accounting units: on WASI it cannot ask the allocator for block
/// sizes and counts a fixed overhead per live allocation, so the headroom is scaled by the
/// current average (which is also right if it ever does count real sizes).
fn collect_cycles_after(ctx: &Ctx<'_>, headroom: i64) {
    use javy::quickjs::qjs;
    // SAFETY: plain FFI on this context's runtime.
    unsafe {
        let rt = qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        let mut usage: qjs::JSMemoryUsage = std::mem::zeroed();
        qjs::JS_ComputeMemoryUsage(rt, &mut usage);
        let per_allocation = match usage.malloc_count {
            n if n > 0 => (usage.malloc_size / n).max(1),
            _ => 8,
        };
        let threshold = usage.malloc_size + headroom * per_allocation;
        qjs::JS_SetGCThreshold(rt, threshold.max(0) as _);
    }
}

// libc's allocator, which QuickJS and Rust share here: `align_heap` and `seal_heap` place blocks
// in it directly.
extern "C" {
    fn malloc(n: usize) -> *mut u8;
    fn free(p: *mut u8);
}

/// Start the engine's heap at the same offset within a page whatever came before it.
///
/// The heap begins after the data segment, which holds every built-in's JS source: any edit to
/// one moves the whole heap by a few bytes, so different objects share pages and the private
/// memory a request costs (its writes, page by page) moved by up to ±8 KiB with edits that change
/// nothing a request runs. Padding the heap's start to a page boundary makes that layout, and the
/// memory benchmark, depend only on what initialization allocates.
fn align_heap() {
    const PAGE: usize = 4096;
    // SAFETY: plain libc allocation; the padding block is deliberately never freed.
    unsafe {
        let probe = malloc(16);
        if probe.is_null() {
            return;
        }
        let at = probe as usize;
        free(probe);
        // The next block starts where the probe did; pad so that the one after it (8 bytes of
        // chunk header later) starts at a page boundary.
        let pad = (PAGE - (at + 32) % PAGE) % PAGE + 16;
        let _ = malloc(pad);
    }
}

/// Fill every free hole the initialization left in the heap, so allocations made after the
/// snapshot all come from fresh memory above it.
fn seal_heap() {
    // SAFETY: plain libc allocation; the filler blocks are deliberately never freed.
    unsafe {
        let probe = malloc(1 << 20);
        if probe.is_null() {
            return;
        }
        let top = probe as usize;
        free(probe);
        for _ in 0..1_000_000 {
            let p = malloc(16);
            if p.is_null() {
                break;
            }
            if p as usize >= top {
                free(p);
                break;
            }
        }
    }
}

/// Reseed everything random from the host the first time this instance runs script code, and
/// restart the monotonic clock origin (a snapshot must not carry the build machine's clock).
fn ensure_seeded() {
    SEEDED.with(|seeded| {
        if !seeded.get() {
            let seed = getrandom::u64().unwrap_or(0x853c_49e6_748f_ea9b);
            fastrand::seed(seed);
            natives::reset_clock();
            seeded.set(true);
        }
    });
}

/// Forget that this instance was seeded: used right before a snapshot is taken, so that the
/// restored instances reseed.
#[cfg(feature = "standalone")]
fn unseed() {
    SEEDED.with(|s| s.set(false));
}

fn with_engine<R>(f: impl FnOnce(&mut Engine) -> Result<R, Failure>) -> Result<R, Failure> {
    ensure_seeded();
    ENGINE.with(|cell| {
        let mut guard = cell.borrow_mut();
        if guard.is_none() {
            // Not pre-initialized (e.g. a plain, un-snapshotted build): initialize lazily.
            *guard = Some(init_engine());
        }
        f(guard.as_mut().expect("engine"))
    })
}

fn error(kind: Kind, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
        stack: None,
    }
}

/// Turn the pending exception (after a failed rquickjs call) into a [`Failure`].
fn describe(ctx: &Ctx<'_>, err: javy::quickjs::Error) -> Failure {
    if !err.is_exception() {
        return error(Kind::Internal, err.to_string());
    }
    let value = ctx.catch();
    describe_value(ctx, value)
}

/// Describe a thrown (or rejected-with) JS value.
fn describe_value<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Failure {
    if let Some(obj) = value.as_object() {
        let kind = obj
            .get::<_, Option<String>>("__sandboxKind")
            .ok()
            .flatten()
            .map(|k| match k.as_str() {
                "no-default-export" => Kind::NoDefaultExport,
                "no-handler" => Kind::NoHandler,
                "bad-return" => Kind::BadReturn,
                "invalid-worker" => Kind::InvalidWorker,
                _ => Kind::Exception,
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
                Kind::Syntax
            } else {
                Kind::Exception
            });
            let message = match kind {
                Kind::NoDefaultExport | Kind::NoHandler | Kind::BadReturn | Kind::InvalidWorker => {
                    message
                }
                _ if message.is_empty() => name,
                _ => format!("{name}: {message}"),
            };
            return Failure {
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
        Kind::Exception,
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
fn syntax_error(ctx: &Ctx<'_>, err: javy::quickjs::Error, module: &str) -> Failure {
    let mut e = describe(ctx, err);
    if e.kind == Kind::Exception && e.message.starts_with("SyntaxError") {
        e.kind = Kind::Syntax;
    }
    if e.kind == Kind::Syntax {
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

/// The ES module source of a module (text, json and data modules become JS; the host checked
/// JSON modules parse).
fn module_source(m: &SourceModule) -> Result<String, Failure> {
    spec_js::module_source(&m.name, m.kind, &m.content).map_err(|e| error(Kind::InvalidWorker, e))
}

/// Evaluate the worker's modules in this instance (once per instance).
pub fn load(source: &Source) -> Result<(), Failure> {
    with_engine(|engine| {
        if engine.loaded {
            return Err(error(
                Kind::InvalidWorker,
                "this instance already has a worker loaded",
            ));
        }
        let internals = engine.internals.clone();
        let result = engine.runtime.context().with(|ctx| -> Result<(), Failure> {
            let internals = internals.restore(&ctx).map_err(|e| describe(&ctx, e))?;
            for m in source.modules.iter().filter(|m| m.kind == ModuleType::Data) {
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
                    Kind::InvalidWorker,
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
            let bindings = Array::new(ctx.clone()).map_err(|e| describe(&ctx, e))?;
            for (i, b) in source.bindings.iter().enumerate() {
                let methods = Array::new(ctx.clone()).map_err(|e| describe(&ctx, e))?;
                for (j, m) in b.methods.iter().enumerate() {
                    methods.set(j, m.as_str()).map_err(|e| describe(&ctx, e))?;
                }
                let decl = Array::new(ctx.clone()).map_err(|e| describe(&ctx, e))?;
                decl.set(0, b.name.as_str())
                    .map_err(|e| describe(&ctx, e))?;
                decl.set(1, b.kind).map_err(|e| describe(&ctx, e))?;
                decl.set(2, methods).map_err(|e| describe(&ctx, e))?;
                bindings.set(i, decl).map_err(|e| describe(&ctx, e))?;
            }
            set_worker
                .call::<_, ()>((namespace, source.env_json.as_str(), bindings))
                .map_err(|e| describe(&ctx, e))?;
            Ok(())
        });
        if result.is_ok() {
            engine.loaded = true;
        }
        result
    })
}

/// Run one call into the loaded worker: drop what an earlier call left in flight (the host
/// cancels it), hand `dispatch` the context and the prelude's internals, and drive what it
/// returns (a value, or a promise of one) to completion; `finish` turns that into the result.
fn dispatch_loaded<R>(
    dispatch: impl for<'js> FnOnce(&Ctx<'js>, &Object<'js>) -> Result<Value<'js>, Failure>,
    finish: impl for<'js> FnOnce(&Ctx<'js>, &Object<'js>, Value<'js>) -> Result<R, Failure>,
) -> Result<R, Failure> {
    with_engine(|engine| {
        if !engine.loaded {
            return Err(error(
                Kind::InvalidWorker,
                "no worker is loaded in this instance",
            ));
        }
        outbound::clear();
        #[cfg(not(feature = "standalone"))]
        calls::clear();
        respond::abort();
        let internals = engine.internals.clone();
        let result = engine.runtime.context().with(|ctx| {
            let internals = internals.restore(&ctx).map_err(|e| describe(&ctx, e))?;
            // Each call starts outside every AsyncLocalStorage store: what an earlier call
            // entered (`enterWith`) does not reach this one.
            // SAFETY: the context is alive; undefined holds no reference.
            unsafe {
                javy::quickjs::qjs::JS_SetAsyncContext(
                    ctx.as_raw().as_ptr(),
                    javy::quickjs::qjs::JS_UNDEFINED,
                )
            };
            let result = dispatch(&ctx, &internals)?;
            let value = match result.as_promise() {
                Some(promise) => event_loop::drive(&ctx, &internals, promise.clone())?,
                None => {
                    event_loop::run_jobs(&ctx);
                    result
                }
            };
            finish(&ctx, &internals, value)
        });
        // What the call left in flight (a fetch never awaited, a body never read) ends with it:
        // an idle instance holds no connection.
        outbound::clear();
        #[cfg(not(feature = "standalone"))]
        calls::clear();
        result
    })
}

/// What a `fetch` call produced.
pub enum Reply {
    /// The response, body and all.
    Whole(Response),
    /// The head went out through the outparam, then the body as it was produced.
    Streamed,
}

/// Call `fetch(request, env, ctx)` on the default or a named export and drive it to completion.
pub fn fetch(
    entrypoint: Option<&str>,
    props: Option<&str>,
    request: Request,
) -> Result<Response, Failure> {
    match fetch_to(entrypoint, props, request, None).0? {
        Reply::Whole(r) => Ok(r),
        Reply::Streamed => Err(error(Kind::Internal, "streamed without an outparam")),
    }
}

/// [`fetch`], sending a `ReadableStream` body on through `out` as the script produces it (when
/// there is an `out`). `out` comes back unused unless the body was streamed.
pub fn fetch_to(
    entrypoint: Option<&str>,
    props: Option<&str>,
    request: Request,
    out: Option<respond::ResponseOutparam>,
) -> (Result<Reply, Failure>, Option<respond::ResponseOutparam>) {
    let streaming = out.is_some();
    let mut out = out;
    let result = dispatch_loaded(
        |ctx, internals| {
            let dispatch: Function<'_> = internals
                .get("dispatchFetch")
                .map_err(|e| describe(ctx, e))?;
            let headers =
                natives::pairs_to_js(ctx, &request.headers).map_err(|e| describe(ctx, e))?;
            let body = match request.body {
                Some(b) => {
                    Some(TypedArray::<u8>::new(ctx.clone(), b).map_err(|e| describe(ctx, e))?)
                }
                None => None,
            };
            // A body still arriving is read like a fetch() response body, under an id.
            let body_id = match request.stream {
                Some(b) => Some(outbound::adopt(b).map_err(|m| error(Kind::Internal, m))?),
                None => None,
            };
            // The response array itself when the handler answered synchronously, else a promise.
            // (Eight arguments: past what a tuple converts.)
            let mut args = javy::quickjs::function::Args::new(ctx.clone(), 8);
            let pushed = (|| {
                args.push_arg(entrypoint)?;
                args.push_arg(props)?;
                args.push_arg(request.method)?;
                args.push_arg(request.url)?;
                args.push_arg(headers)?;
                args.push_arg(body)?;
                args.push_arg(streaming)?;
                args.push_arg(body_id)
            })();
            pushed.map_err(|e| describe(ctx, e))?;
            dispatch.call_arg(args).map_err(|e| describe(ctx, e))
        },
        |ctx, internals, value| {
            // A streamed body's job (its stream or fetch() body, its call's serial).
            let job: Option<Object<'_>> = value.as_array().and_then(|a| a.get(4).ok());
            let head = response_from_js(ctx, value)?;
            if head.body.is_some() {
                return Ok(Reply::Whole(head.into_response()));
            }
            let out = out
                .take()
                .ok_or_else(|| error(Kind::Internal, "a streamed response without an outparam"))?;
            let job =
                job.ok_or_else(|| error(Kind::Internal, "a streamed body without its job"))?;
            let call: u32 = job.get("serial").map_err(|e| describe(ctx, e))?;
            respond::start(out, head.status, &head.headers, call)
                .map_err(|m| error(Kind::BadReturn, m))?;
            let pump: Function<'_> = internals.get("pumpBody").map_err(|e| describe(ctx, e))?;
            let promise: javy::quickjs::Promise<'_> =
                pump.call((job,)).map_err(|e| describe(ctx, e))?;
            let done = event_loop::drive(ctx, internals, promise);
            if done.is_err() || respond::is_open() {
                // Cut short: the host passes the body on as broken.
                respond::abort();
            }
            done.map(|_| Reply::Streamed)
        },
    );
    respond::abort();
    (result, out)
}

/// RPC: call `method` on the default or a named export with the JSON array `args_json`, drive it
/// to completion and return the result as JSON.
#[cfg(not(feature = "standalone"))]
pub fn call(
    entrypoint: Option<&str>,
    props: Option<&str>,
    method: &str,
    args_json: &str,
) -> Result<String, Failure> {
    dispatch_loaded(
        |ctx, internals| {
            let dispatch: Function<'_> = internals
                .get("dispatchCall")
                .map_err(|e| describe(ctx, e))?;
            dispatch
                .call((entrypoint, props, method, args_json))
                .map_err(|e| describe(ctx, e))
        },
        |_, _, value| {
            value
                .as_string()
                .and_then(|s| s.to_string().ok())
                .ok_or_else(|| error(Kind::Internal, "malformed RPC result from dispatch"))
        },
    )
}

/// A response as the prelude hands it over: whole, or (streaming) its head with the body to come.
struct Head {
    status: u16,
    status_text: String,
    headers: Vec<(String, String)>,
    /// `None`: the body is a stream the prelude's `pumpBody` sends on.
    body: Option<Vec<u8>>,
}

impl Head {
    fn into_response(self) -> Response {
        Response {
            status: self.status,
            status_text: self.status_text,
            headers: self.headers,
            body: self.body.unwrap_or_default(),
        }
    }
}

/// `[status, statusText, [[name, value]...], Uint8Array]` (built by the prelude), or
/// `[status, statusText, pairs, null, true]` for a body that is streamed.
fn response_from_js(ctx: &Ctx<'_>, value: Value<'_>) -> Result<Head, Failure> {
    let bad = |what: &str| {
        error(
            Kind::Internal,
            format!("malformed response from dispatch: {what}"),
        )
    };
    let arr = value.into_array().ok_or_else(|| bad("not an array"))?;
    let status: u16 = arr.get(0).map_err(|e| describe(ctx, e))?;
    let status_text: String = arr.get(1).map_err(|e| describe(ctx, e))?;
    let header_arr: Array<'_> = arr.get(2).map_err(|e| describe(ctx, e))?;
    let headers = natives::pairs_from_js(&header_arr).map_err(|e| describe(ctx, e))?;
    let body: Option<TypedArray<'_, u8>> = arr.get(3).map_err(|e| describe(ctx, e))?;
    let body = match body {
        Some(b) => Some(b.as_bytes().ok_or_else(|| bad("detached body"))?.to_vec()),
        None => None,
    };
    Ok(Head {
        status,
        status_text,
        headers,
        body,
    })
}
