//! Code Mode tools (`await env.TOOLS.search({...})`): the `sandbox:worker/tools` interface on the
//! host, and the tool sets behind it (its `set` module).

mod set;

pub use set::*;

use std::sync::Arc;

use wasmtime::component::{Linker, Resource};

use crate::host::calls::{Call, CallView, Lent};
use crate::wit::sandbox::worker::calls::Reply;
use crate::wit::sandbox::worker::tools;
use crate::wit::PendingCall;

/// The tool sets a worker was lent.
pub(crate) type ToolsCtx = Lent<Arc<ToolSet>>;

pub(crate) fn ctx() -> ToolsCtx {
    Lent::new("a tools binding")
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> CallView<'_, ToolsCtx>,
) -> wasmtime::Result<()> {
    tools::add_to_linker::<T, Call<ToolsCtx>>(linker, get)
}

impl tools::Host for CallView<'_, ToolsCtx> {
    fn call(
        &mut self,
        binding: String,
        tool: String,
        input_json: String,
    ) -> wasmtime::Result<Resource<PendingCall>> {
        self.on(&binding, |set| async move {
            let input = serde_json::from_str(&input_json)
                .map_err(|e| format!("{tool}(): the input is not JSON: {e}"))?;
            let result = set.call(&tool, input).await?;
            Ok(Reply::Json(result.to_string()))
        })
    }
}
