//! KV namespaces (`env.NOTES.get(key)`): the `sandbox:worker/kv` interface on the host, and the
//! stores behind it (its `store` module).
//!
//! Changing the KV binding touches this folder, `wit/worker.wit` and the guest's KV files only.

mod store;

pub use store::*;

use wasmtime::component::{Linker, Resource};

use crate::host::calls::{Call, CallView, Lent};
use crate::wit::sandbox::worker::calls::{KvEntry as WitEntry, Reply};
use crate::wit::sandbox::worker::kv;
use crate::wit::PendingCall;

/// The KV namespaces a worker was lent.
pub(crate) type KvCtx = Lent<KvNamespace>;

pub(crate) fn ctx() -> KvCtx {
    Lent::new("a KV namespace binding")
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> CallView<'_, KvCtx>,
) -> wasmtime::Result<()> {
    kv::add_to_linker::<T, Call<KvCtx>>(linker, get)
}

impl kv::Host for CallView<'_, KvCtx> {
    fn get(&mut self, binding: String, key: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |ns| async move {
            Ok(match ns.get(&key).await? {
                Some(e) => Reply::Entry(WitEntry {
                    value: e.value,
                    metadata_json: e.metadata,
                }),
                None => Reply::None,
            })
        })
    }

    fn put(
        &mut self,
        binding: String,
        key: String,
        value: Vec<u8>,
        options: kv::PutOptions,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |ns| async move {
            ns.put(
                &key,
                value,
                options.expiration_ttl,
                options.expiration,
                options.metadata_json,
            )
            .await?;
            Ok(Reply::None)
        })
    }

    fn delete(&mut self, binding: String, key: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |ns| async move {
            ns.delete(&key).await?;
            Ok(Reply::None)
        })
    }

    fn list_keys(
        &mut self,
        binding: String,
        prefix: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |ns| async move {
            let listing = ns.list(prefix.as_deref(), limit, cursor.as_deref()).await?;
            Ok(Reply::Json(listing.to_string()))
        })
    }
}
