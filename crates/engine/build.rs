//! Picks the component bytes the crate embeds: the committed `engine.wasm` and
//! `standalone.wasm` next to this file, or a freshly built one named by `$WASM_SANDBOX_ENGINE` /
//! `$WASM_SANDBOX_STANDALONE` (a developer trying a guest change without committing it).
//! Nothing here builds anything: no C toolchain, no wasm target.
use std::path::PathBuf;

fn locate(env: &str, default: &str, rustc_env: &str) {
    println!("cargo:rerun-if-env-changed={env}");
    let path = match std::env::var_os(env) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join(default),
    };
    let path = path.canonicalize().unwrap_or_else(|e| {
        panic!(
            "\n\nA guest component is missing: {} ({e}).\n\
             The crate carries engine.wasm and standalone.wasm; `make engine` rebuilds them from \
             guest-js/. Unset {env} to use the committed bytes.\n\n",
            path.display()
        )
    });
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rustc-env={rustc_env}={}", path.display());
}

fn main() {
    locate(
        "WASM_SANDBOX_ENGINE",
        "engine.wasm",
        "WASM_SANDBOX_ENGINE_PATH",
    );
    locate(
        "WASM_SANDBOX_STANDALONE",
        "standalone.wasm",
        "WASM_SANDBOX_STANDALONE_PATH",
    );
}
