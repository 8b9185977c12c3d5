//! The portable form of one worker: a standalone, pre-initialized `wasi:http/proxy` component
//! with the worker's modules already evaluated in its snapshot ([`compile`]), and a runner for
//! such components ([`StandaloneComponent`]).
//!
//! The component imports only WASI 0.2 interfaces (`wasi:http/proxy` plus what Rust's std uses:
//! cli, clocks, random, io, filesystem types), so any wasi:http host runs it, e.g.
//! `wasmtime serve -S cli OUT.wasm`. Console lines go to stderr. Outbound `fetch()` is disabled
//! inside it, as in the engine; [`StandaloneComponent`] also refuses every outgoing request.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::code::{ModuleContent, WorkerCode};
use crate::error::{Error, Result};

/// The standalone engine guest (un-initialized; the `wasm-sandbox-engine` crate's bytes).
static STANDALONE_WASM: &[u8] = wasm_sandbox_engine::STANDALONE;

/// Largest stderr kept from a failed compile (its error message).
const MAX_STDERR: usize = 64 * 1024;

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutbound,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Every outgoing request is refused (`HttpRequestDenied`).
struct DenyOutbound;

impl WasiHttpHooks for DenyOutbound {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<wasmtime_wasi_http::WasiBody>,
                        Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

fn linker(engine: &Engine) -> Result<Linker<State>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(host)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(host)?;
    Ok(linker)
}

fn host(e: wasmtime::Error) -> Error {
    Error::Host(anyhow::anyhow!("{e:#}"))
}

/// Encode the worker for the guest's `wizer-initialize` (read from its stdin).
fn bundle(code: &WorkerCode) -> Vec<u8> {
    fn blob(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    let mut out = Vec::with_capacity(code.source_bytes() + 256);
    blob(&mut out, code.main_module.as_bytes());
    blob(
        &mut out,
        serde_json::Value::Object(code.env.clone())
            .to_string()
            .as_bytes(),
    );
    out.extend_from_slice(&(code.modules.len() as u32).to_le_bytes());
    for (name, content) in &code.modules {
        blob(&mut out, name.as_bytes());
        let (kind, bytes): (u8, &[u8]) = match content {
            // `compile` strips TypeScript before it serializes.
            ModuleContent::Js(s) | ModuleContent::Ts(s) => (0, s.as_bytes()),
            ModuleContent::Text(s) => (1, s.as_bytes()),
            ModuleContent::Json(s) => (2, s.as_bytes()),
            ModuleContent::Data(b) => (3, b),
        };
        out.push(kind);
        blob(&mut out, bytes);
    }
    out
}

/// Compile `code` into a standalone `wasi:http/proxy` component whose snapshot already holds
/// the evaluated worker. Module evaluation errors (syntax errors, exceptions at load) are
/// reported with their messages.
pub async fn compile(code: &WorkerCode) -> Result<Vec<u8>> {
    code.validate()?;
    let code = &code.stripped()?;
    if let Some(name) = code.bindings.keys().next() {
        return Err(Error::InvalidCode(format!(
            "binding `{name}`: bindings (KV, tools, services, files) need the wasm-sandbox host and cannot be compiled into a standalone component"
        )));
    }
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).map_err(host)?;
    let linker = linker(&engine)?;
    let stderr = MemoryOutputPipe::new(MAX_STDERR);
    let wasi = WasiCtx::builder()
        .stdin(MemoryInputPipe::new(Bytes::from(bundle(code))))
        .stderr(stderr.clone())
        .build();
    let mut store = Store::new(
        &engine,
        State {
            wasi,
            http: WasiHttpCtx::new(),
            hooks: DenyOutbound,
            table: ResourceTable::new(),
        },
    );
    let mut wizer = wasmtime_wizer::Wizer::new();
    wizer.init_func("wizer-initialize").keep_init_func(true);
    let result = wizer
        .run_component(&mut store, STANDALONE_WASM, async |store, component| {
            linker.instantiate_async(store, component).await
        })
        .await;
    match result {
        Ok((wasm, _)) => Ok(wasm),
        Err(e) => {
            let output = String::from_utf8_lossy(&stderr.contents()).into_owned();
            let message = output
                .lines()
                .find_map(|l| l.strip_prefix("error: "))
                .map(|first| {
                    let rest: Vec<&str> = output
                        .lines()
                        .skip_while(|l| !l.starts_with("error: "))
                        .skip(1)
                        .collect();
                    if rest.is_empty() {
                        first.to_string()
                    } else {
                        format!("{first}\n{}", rest.join("\n"))
                    }
                });
            match message {
                Some(m) => Err(Error::InvalidCode(format!(
                    "the worker failed to load: {m}"
                ))),
                None => Err(Error::Host(anyhow::anyhow!(
                    "pre-initializing the standalone component: {e:#}\n{output}"
                ))),
            }
        }
    }
}

/// A standalone component (from [`compile`], or any `wasi:http/proxy` component), compiled for
/// this machine and pre-instantiated.
pub struct StandaloneComponent {
    pre: ProxyPre<State>,
    /// How long the Cranelift compile took.
    pub compile_time: Duration,
}

impl StandaloneComponent {
    /// Compile the component (Cranelift) and pre-instantiate it.
    pub fn new(wasm: &[u8]) -> Result<Self> {
        let started = Instant::now();
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config).map_err(host)?;
        let component = Component::new(&engine, wasm).map_err(host)?;
        let pre = ProxyPre::new(linker(&engine)?.instantiate_pre(&component).map_err(host)?)
            .map_err(host)?;
        Ok(StandaloneComponent {
            pre,
            compile_time: started.elapsed(),
        })
    }

    /// Instantiate and send one request. Console output (stderr) and stdout are inherited.
    pub async fn fetch(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>> {
        let mut store = Store::new(
            self.pre.engine(),
            State {
                wasi: WasiCtx::builder().inherit_stdout().inherit_stderr().build(),
                http: WasiHttpCtx::new(),
                hooks: DenyOutbound,
                table: ResourceTable::new(),
            },
        );
        let scheme = match request.uri().scheme_str() {
            Some("https") => Scheme::Https,
            _ => Scheme::Http,
        };
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(scheme, request.map(Full::new))
            .map_err(host)?;
        let out = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(host)?;
        let pre = self.pre.clone();
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await
        });
        let response = match receiver.await {
            Ok(Ok(resp)) => resp,
            Ok(Err(code)) => {
                return Err(Error::Trap(format!(
                    "the component answered with an error: {code:?}"
                )))
            }
            Err(_) => {
                let detail = match task.await {
                    Ok(Ok(())) => "it never set a response".to_string(),
                    Ok(Err(e)) => format!("{e:#}"),
                    Err(e) => e.to_string(),
                };
                return Err(Error::Trap(format!("the component failed: {detail}")));
            }
        };
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| Error::Trap(format!("reading the component's response body: {e:?}")))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body))
    }
}
