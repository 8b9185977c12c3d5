//! Build-time tool: pre-initialize the engine guest with wasmtime-wizer.
//!
//! `wasm-sandbox-snapshot IN.wasm OUT.wasm` instantiates the engine component, calls its
//! `wizer-initialize` export (which creates the QuickJS runtime and context and evaluates the Web
//! API prelude) and writes a component whose memory starts from that state. The instance gets an
//! empty WASI context: no files, no environment, no arguments, no network. The export is kept
//! (`keep_init_func`) because instantiating the snapshot needs it to exist; calling it again is
//! harmless (it rebuilds the same state).
//!
//! The snapshot is deterministic: the same guest gives the same bytes. Nothing the
//! initialization reads varies — the clocks are fixed and the random sources seeded with a
//! constant (the guest reseeds everything random from the host's source when an instance first
//! runs script code, so instances never share a sequence).

use anyhow::{Context, Result};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// A clock stopped at one instant.
struct Fixed;

impl wasmtime_wasi::HostWallClock for Fixed {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_millis(1)
    }
    fn now(&self) -> std::time::Duration {
        // 2026-01-01T00:00:00Z
        std::time::Duration::from_secs(1_767_225_600)
    }
}

impl wasmtime_wasi::HostMonotonicClock for Fixed {
    fn resolution(&self) -> u64 {
        1_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// An empty WASI context whose clocks and random sources give the same answers on every run.
fn deterministic_wasi() -> WasiCtx {
    use rand::SeedableRng;
    let seeded = || rand::rngs::StdRng::seed_from_u64(0x5eed);
    WasiCtx::builder()
        .inherit_stderr()
        .wall_clock(Fixed)
        .monotonic_clock(Fixed)
        .secure_random(seeded())
        .insecure_random(seeded())
        .insecure_random_seed(0x5eed)
        .build()
}

struct InitState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

// The engine imports wasi:http (for fetch); nothing is sent during initialization.
impl WasiHttpView for InitState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

impl WasiView for InitState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        anyhow::bail!("usage: wasm-sandbox-snapshot IN.wasm OUT.wasm");
    };
    let started = std::time::Instant::now();
    let wasm = std::fs::read(input).with_context(|| format!("reading {input}"))?;

    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config)?;
    let mut linker: Linker<InitState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    // The host's own imports (console, the memory anchor) are not called during
    // initialization; no-ops suffice.
    linker
        .instance("sandbox:worker/host@0.1.0")?
        .func_new("console", |_, _, _, _| Ok(()))?;
    linker
        .instance("sandbox:worker/memory@0.1.0")?
        .func_new("anchor", |_, _, _, _| Ok(()))?;
    // Bindings cannot be used during initialization: every call traps. The `pending-call`
    // resource is declared here; the binding interfaces' functions (kv, tools, services, files,
    // loader, outbound denials) are stubbed from the component's own imports (`stub_bindings`),
    // so a new binding function needs nothing here.
    struct PendingCallStub;
    let mut calls = linker.instance("sandbox:worker/calls@0.1.0")?;
    calls.resource(
        "pending-call",
        wasmtime::component::ResourceType::host::<PendingCallStub>(),
        |_, _| Ok(()),
    )?;
    calls.func_new("[method]pending-call.subscribe", trap)?;
    calls.func_new("[method]pending-call.take", trap)?;
    let mut store = Store::new(
        &engine,
        InitState {
            wasi: deterministic_wasi(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
        },
    );

    let mut wizer = wasmtime_wizer::Wizer::new();
    wizer.init_func("wizer-initialize").keep_init_func(true);
    let (snapshot, _) = wizer
        .run_component(&mut store, &wasm, async move |store, component| {
            stub_bindings(&mut linker, component)?;
            linker.instantiate_async(store, component).await
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("pre-initializing the engine component")?;

    std::fs::write(output, &snapshot).with_context(|| format!("writing {output}"))?;
    eprintln!(
        "snapshot: {input} ({} KiB) -> {output} ({} KiB) in {:.1}s",
        wasm.len() / 1024,
        snapshot.len() / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A binding call during initialization: refused.
fn trap<T>(
    _: wasmtime::StoreContextMut<'_, T>,
    _: wasmtime::component::types::ComponentFunc,
    _: &[wasmtime::component::Val],
    _: &mut [wasmtime::component::Val],
) -> wasmtime::Result<()> {
    Err(wasmtime::format_err!(
        "bindings are not available during pre-initialization"
    ))
}

/// Link every function of the component's `sandbox:worker/*` imports not linked yet to [`trap`].
fn stub_bindings<T: 'static>(
    linker: &mut Linker<T>,
    component: &wasmtime::component::Component,
) -> wasmtime::Result<()> {
    use wasmtime::component::types::ComponentItem;
    let engine = component.engine().clone();
    for (name, item) in component.component_type().imports(&engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        if !name.starts_with("sandbox:worker/")
            || ["host", "memory", "calls"]
                .iter()
                .any(|i| name.starts_with(&format!("sandbox:worker/{i}@")))
        {
            continue;
        }
        let mut stubs = linker.instance(name)?;
        for (func, item) in instance.exports(&engine) {
            if matches!(item.ty, ComponentItem::ComponentFunc(_)) {
                stubs.func_new(func, trap)?;
            }
        }
    }
    Ok(())
}
