//! Files (`env.FILES.read(path)`): the `sandbox:worker/files` interface on the host, and the
//! lent directory behind it (its `dir` module).

mod dir;

pub use dir::*;

use wasmtime::component::{Linker, Resource};

use crate::host::calls::{Call, CallView, Lent};
use crate::wit::sandbox::worker::calls::Reply;
use crate::wit::sandbox::worker::files;
use crate::wit::PendingCall;

/// The directories a worker was lent.
pub(crate) type FilesCtx = Lent<FilesBinding>;

pub(crate) fn ctx() -> FilesCtx {
    Lent::new("a files binding")
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> CallView<'_, FilesCtx>,
) -> wasmtime::Result<()> {
    files::add_to_linker::<T, Call<FilesCtx>>(linker, get)
}

impl files::Host for CallView<'_, FilesCtx> {
    fn read(&mut self, binding: String, path: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |b| async move {
            Ok(match b.read(&path).await? {
                Some(bytes) => Reply::Bytes(bytes),
                None => Reply::None,
            })
        })
    }

    fn write(
        &mut self,
        binding: String,
        path: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |b| async move {
            b.write(&path, data).await?;
            Ok(Reply::None)
        })
    }

    fn list_dir(
        &mut self,
        binding: String,
        path: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |b| async move {
            Ok(Reply::Json(b.list(&path).await?.to_string()))
        })
    }

    fn delete(&mut self, binding: String, path: String) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |b| async move {
            b.delete(&path).await?;
            Ok(Reply::None)
        })
    }
}
