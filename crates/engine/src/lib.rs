//! The guest components of [wasm-sandbox](https://crates.io/crates/wasm-sandbox), as bytes.
//!
//! Building the guest needs the `wasm32-wasip2` target, clang for QuickJS's C and a snapshot
//! step; a crate that depends on `wasm-sandbox` needs none of that, because the components are
//! build outputs this crate carries (the way wasmtime ships its preview1 adapter as bytes).
//!
//! - [`ENGINE`]: the engine component — QuickJS (via javy) and the Workers prelude, pre-initialized
//!   (wizer) so that an instance starts with the prelude already evaluated. `wasm-sandbox`
//!   compiles it once per process (cached on disk) and instantiates it per worker.
//! - [`STANDALONE`]: the same guest un-initialized, exporting `wasi:http/incoming-handler`;
//!   `wasm-sandbox compile` snapshots it with one worker's code into a component any
//!   wasi-http host runs.
//!
//! The bytes are reproducible: `make engine` in the repository builds them from `guest-js/`
//! (same sources, same bytes), and CI fails when the committed bytes are not what the sources
//! build. Set `WASM_SANDBOX_ENGINE` / `WASM_SANDBOX_STANDALONE` to a file to embed another build.
#![no_std]
#![deny(missing_docs)]

/// The pre-initialized engine component (wasm32-wasip2, component model).
pub static ENGINE: &[u8] = include_bytes!(env!("WASM_SANDBOX_ENGINE_PATH"));

/// The standalone guest component, not initialized (`wasi:http/proxy` world).
pub static STANDALONE: &[u8] = include_bytes!(env!("WASM_SANDBOX_STANDALONE_PATH"));

#[cfg(test)]
mod tests {
    extern crate std;

    /// Both are components (the component-model layer of the binary format), not core modules.
    #[test]
    fn both_are_wasm_components() {
        for bytes in [super::ENGINE, super::STANDALONE] {
            assert_eq!(&bytes[..4], b"\0asm");
            assert_eq!(
                &bytes[4..8],
                &[0x0d, 0x00, 0x01, 0x00],
                "a component's version and layer"
            );
        }
    }
}
