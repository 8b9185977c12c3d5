//! Locates the pre-initialized engine component (built by `make engine`) and embeds it.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=WASM_SANDBOX_ENGINE");
    let path = match std::env::var_os("WASM_SANDBOX_ENGINE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("../../target/engine/engine.wasm"),
    };
    if !path.exists() {
        panic!(
            "\n\nThe engine guest component is missing: {}\n\
             It is built for wasm32-wasip2 and pre-initialized by `make engine` (which `make build`, \
             `make test` and `make serve` run first). Run `make engine`, or point WASM_SANDBOX_ENGINE \
             at a pre-initialized engine.wasm.\n\n",
            path.display()
        );
    }
    let path = path.canonicalize().unwrap();
    println!("cargo:rerun-if-changed={}", path.display());
    println!(
        "cargo:rustc-env=WASM_SANDBOX_ENGINE_PATH={}",
        path.display()
    );
}
