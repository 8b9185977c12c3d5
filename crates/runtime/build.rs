//! Locates the guest components built by `make engine` and embeds them:
//! - the pre-initialized engine (`target/engine/engine.wasm`, or `$WASM_SANDBOX_ENGINE`);
//! - the standalone guest that `compile` snapshots per worker (`target/engine/standalone.wasm`,
//!   or `$WASM_SANDBOX_STANDALONE`).
use std::path::PathBuf;

fn locate(env: &str, default: &str, rustc_env: &str) {
    println!("cargo:rerun-if-env-changed={env}");
    let path = match std::env::var_os(env) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join(default),
    };
    if !path.exists() {
        panic!(
            "\n\nA guest component is missing: {}\n\
             The guests are built for wasm32-wasip2 (and the engine pre-initialized) by `make engine`, \
             which `make build`, `make test` and `make run-example` run first. Run `make engine`, or \
             set {env}.\n\n",
            path.display()
        );
    }
    let path = path.canonicalize().unwrap();
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rustc-env={rustc_env}={}", path.display());
}

fn main() {
    locate(
        "WASM_SANDBOX_ENGINE",
        "../../target/engine/engine.wasm",
        "WASM_SANDBOX_ENGINE_PATH",
    );
    locate(
        "WASM_SANDBOX_STANDALONE",
        "../../target/engine/standalone.wasm",
        "WASM_SANDBOX_STANDALONE_PATH",
    );
}
