//! Linear memory: the limiter that refuses growth past the sandbox's limit, and the anchor that
//! tells the host where the memory is mapped (for idle trimming).

use wasmtime::component::{Linker, WasmList};
use wasmtime::{ResourceLimiter, StoreContextMut};

use crate::error::LimitTrap;
use crate::sandbox::trim;

pub(crate) struct MemoryLimiter {
    limit: usize,
    /// Where the instance's linear memory is mapped in this process (told by the guest through
    /// `sandbox:worker/memory.anchor` when it first runs), for idle trimming.
    pub(crate) base: Option<usize>,
    /// The linear memory's size now (every growth, the initial one included, passes here).
    pub(crate) current: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(wasmtime::Error::new(LimitTrap::Memory));
        }
        self.current = self.current.max(desired).max(current);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

impl MemoryLimiter {
    pub(crate) fn new(limit: usize) -> Self {
        MemoryLimiter {
            limit,
            base: None,
            current: 0,
        }
    }
}

/// Link `sandbox:worker/memory.anchor`. By hand rather than through bindgen: the probe must stay
/// a view of guest memory (`WasmList`), not a copy, for its address to mean anything.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut MemoryLimiter,
) -> wasmtime::Result<()> {
    linker.instance("sandbox:worker/memory@0.1.0")?.func_wrap(
        "anchor",
        move |mut cx: StoreContextMut<'_, T>, (memory,): (WasmList<u8>,)| {
            // Only a list as long as the whole memory can start at address 0: anything else (a
            // confused or compromised guest) is ignored.
            if memory.len() == get(cx.data_mut()).current {
                let bytes = memory.as_le_slice(&cx);
                let base = bytes.as_ptr() as usize;
                // The first instance of the process captures the snapshot image, for the
                // trimmer to tell restored pages from module state (see `trim`).
                if trim::image().is_none() {
                    trim::capture_image(bytes);
                }
                get(cx.data_mut()).base = Some(base);
            }
            Ok(())
        },
    )?;
    Ok(())
}
