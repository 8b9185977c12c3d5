//! The capabilities a sandbox's guest can reach, one folder (or file) each: its context in the
//! store state, its WIT `Host` impl and its backends. [`HostState`] is only their composition.
//!
//! | capability | WIT interface | context |
//! |---|---|---|
//! | [`console`] | `host` | [`console::ConsoleCtx`] |
//! | [`outbound`] | `wasi:http/outgoing-handler`, `outbound` | [`outbound::OutboundHooks`] |
//! | [`kv`] | `kv` | [`kv::KvCtx`] |
//! | [`files`] | `files` | [`files::FilesCtx`] |
//! | [`tools`] | `tools` | [`tools::ToolsCtx`] |
//! | [`services`] | `services` | [`services::ServicesCtx`] |
//! | [`loader`] | `loader` | [`loader::LoaderCtx`] |
//! | [`calls`] | `calls` (the `pending-call` every binding call returns) | [`calls::CallsCtx`] |

pub(crate) mod binding;
pub(crate) mod calls;
pub(crate) mod console;
pub mod files;
pub mod kv;
pub(crate) mod loader;
pub mod outbound;
pub(crate) mod pending;
pub(crate) mod services;
pub mod tools;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::sandbox::memory::MemoryLimiter;
pub use binding::{Binding, Bindings, WorkerLoader};
use calls::{CallView, CallsCtx};

/// The store state of one sandbox: WASI (empty), wasi:http, the resource table, the memory
/// limiter, and one context per capability.
pub(crate) struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    pub(crate) memory: MemoryLimiter,
    pub(crate) console: console::ConsoleCtx,
    pub(crate) outbound: outbound::OutboundHooks,
    pub(crate) calls: CallsCtx,
    pub(crate) kv: kv::KvCtx,
    pub(crate) files: files::FilesCtx,
    pub(crate) tools: tools::ToolsCtx,
    pub(crate) services: services::ServicesCtx,
    pub(crate) loader: loader::LoaderCtx,
}

impl HostState {
    pub(crate) fn new(wasi: WasiCtx, memory: MemoryLimiter, max_calls_in_flight: u32) -> Self {
        HostState {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            memory,
            console: console::ConsoleCtx::default(),
            outbound: outbound::OutboundHooks::new(),
            calls: CallsCtx::default(),
            kv: kv::ctx(),
            files: files::ctx(),
            tools: tools::ctx(),
            services: services::ServicesCtx::new(max_calls_in_flight),
            loader: loader::LoaderCtx::default(),
        }
    }

    /// Lend the worker's bindings, each to its capability (set once: an instance only serves
    /// one worker).
    pub(crate) fn lend(&mut self, bindings: &Bindings) {
        for (name, binding) in bindings {
            match binding {
                Binding::Kv(ns) => self.kv.insert(name, ns.clone()),
                Binding::Tools(set) => self.tools.insert(name, set.clone()),
                Binding::Service(s) => self.services.lent.insert(name, s.clone()),
                Binding::Files(dir) => self.files.insert(name, dir.clone()),
                Binding::Loader(l) => self.loader.lent.insert(name, l.clone()),
            }
        }
    }

    fn view<'a, C>(
        table: &'a mut ResourceTable,
        calls: &'a mut CallsCtx,
        cap: &'a mut C,
    ) -> CallView<'a, C> {
        CallView { cap, calls, table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl crate::wit::sandbox::worker::types::Host for HostState {}

/// Link every interface the engine imports: WASI with an empty context (no files, env, args,
/// sockets; stdio discarded), wasi:http's types and outgoing-handler only (every request goes
/// through the outbound hooks), and each capability.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    crate::wit::sandbox::worker::types::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    crate::wit::sandbox::worker::calls::add_to_linker::<_, HasSelf<ResourceTable>>(linker, |s| {
        &mut s.table
    })?;
    console::add_to_linker(linker, |s| &mut s.console)?;
    outbound::add_to_linker(linker, |s| &mut s.outbound)?;
    kv::add_to_linker(linker, |s| {
        HostState::view(&mut s.table, &mut s.calls, &mut s.kv)
    })?;
    files::add_to_linker(linker, |s| {
        HostState::view(&mut s.table, &mut s.calls, &mut s.files)
    })?;
    tools::add_to_linker(linker, |s| {
        HostState::view(&mut s.table, &mut s.calls, &mut s.tools)
    })?;
    services::add_to_linker(linker, |s| {
        HostState::view(&mut s.table, &mut s.calls, &mut s.services)
    })?;
    loader::add_to_linker(linker, |s| {
        HostState::view(&mut s.table, &mut s.calls, &mut s.loader)
    })?;
    crate::sandbox::memory::add_to_linker(linker, |s| &mut s.memory)?;
    Ok(())
}
