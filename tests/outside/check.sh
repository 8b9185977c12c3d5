#!/usr/bin/env bash
# The crate from outside (`make outside-check`, part of `make test`). The library and the crates it
# depends on are packaged with `cargo package` (file lists checked: what a registry would serve),
# and a throwaway cargo project in a temp dir — exactly the README's two files from "The Rust
# crate", Cargo.toml and src/main.rs, with the dependency pointed at the unpacked package — is
# built in an environment with no clang, no LLVM tools and no wasm32 target (hidden, and the script
# checks that they are), offline, and run: it must print the example's greeting and the errors it
# promises.
#
# It shares this checkout's target directory and Cargo.lock, so it compiles only our own crates
# (from their packages) and reuses the workspace's wasmtime, cranelift and oxc.
set -euo pipefail
set -o noclobber # never write through a symlink into the real toolchain
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wasm-sandbox-outside.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The packages a registry would serve: `cargo package` for the library and the four crates it
#    depends on, each file list checked (sources, the manifest, the engine's bytes; no tests, no
#    fixtures, nothing from target/), then unpacked for the project below to build from.
crates=(wasm-sandbox wasm-sandbox-engine wasm-sandbox-policy wasm-sandbox-spec wasm-sandbox-bundle)
package_args=()
for c in "${crates[@]}"; do package_args+=(-p "$c"); done
(cd "$repo" && cargo package "${package_args[@]}" --no-verify --allow-dirty --quiet)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
mkdir "$work/packages"
for c in "${crates[@]}"; do
	crate=$repo/target/package/$c-$version.crate
	tar -xzf "$crate" -C "$work/packages"
	files=$(tar -tzf "$crate" | sed "s|^$c-$version/||" | sort)
	bad=$(printf '%s\n' "$files" | grep -E '^(tests|benches|fuzz|target|seeds|corpus|examples/.*\.(js|ts|json))/|\.(crate|cwasm|redb)$' || true)
	if [ -n "$bad" ]; then
		echo "outside-check: package $c carries files it should not:" >&2; printf '  %s\n' $bad >&2; exit 1
	fi
	printf 'outside-check: package %-20s %8s bytes, %3s files\n' "$c" "$(wc -c <"$crate")" "$(printf '%s\n' "$files" | wc -l)"
done
for must in wasm-sandbox-engine/engine.wasm wasm-sandbox-engine/standalone.wasm wasm-sandbox/wit/worker.wit wasm-sandbox/src/lib.rs; do
	name=${must%%/*}; file=${must#*/}
	[ -f "$work/packages/$name-$version/$file" ] || { echo "outside-check: package $name lacks $file" >&2; exit 1; }
done
cmp -s "$work/packages/wasm-sandbox-engine-$version/engine.wasm" "$repo/crates/engine/engine.wasm"

# 2. The project: the README's blocks, verbatim but for where the dependency comes from — the
#    unpacked wasm-sandbox package, its sibling crates patched in as a registry would serve them.
readme_block() { # the fenced block after `<!-- outside-project: $1 -->`
	awk -v want="<!-- outside-project: $1 -->" '
		$0 == want { state = 1; next }
		state == 1 && /^```/ { state = 2; next }
		state == 2 && /^```$/ { found = 1; exit }
		state == 2 { print }
		END { if (!found) exit 1 }' "$repo/README.md"
}
proj=$work/hello-sandbox
mkdir -p "$proj/src"
readme_block Cargo.toml >"$proj/Cargo.toml" || { echo "outside-check: README has no outside-project Cargo.toml block" >&2; exit 1; }
readme_block src/main.rs >"$proj/src/main.rs" || { echo "outside-check: README has no outside-project src/main.rs block" >&2; exit 1; }
grep -q 'path = "../wasm-sandbox/crates/runtime"' "$proj/Cargo.toml"
sed -i "s|path = \"../wasm-sandbox/crates/runtime\"|path = \"$work/packages/wasm-sandbox-$version\"|" "$proj/Cargo.toml"
cp "$repo/Cargo.lock" "$proj/Cargo.lock"
# Not part of the example: the features the workspace build resolves for a few shared dependencies
# (the server's metrics and the tests' HTTP client ask for more than the crate alone). With them
# the example's dependency graph is the workspace's, so it reuses the compiled wasmtime, cranelift
# and oxc in target/ and compiles only our own crates; without them it would build everything a
# second time (6 minutes here), and prove nothing more.
cat >>"$proj/Cargo.toml" <<'ALIGN'
hashbrown = { version = "0.16", default-features = false, features = ["default-hasher", "raw-entry"] }
tracing-core = { version = "0.1", features = ["default"] }
form_urlencoded = { version = "1", features = ["default"] }
hyper-util = { version = "0.1", features = ["client", "client-legacy", "client-proxy", "http1", "http2", "server", "server-auto", "server-graceful", "service", "tokio"] }
serde_core = { version = "1", features = ["default"] }
log = { version = "0.4", features = ["std"] }
ALIGN
{
	echo
	echo "[patch.crates-io]"
	for c in "${crates[@]:1}"; do echo "$c = { path = \"$work/packages/$c-$version\" }"; done
} >>"$proj/Cargo.toml"

# 3. A PATH without clang, LLVM's tools or a wasm linker: every other command stays reachable.
bin=$work/bin
mkdir -p "$bin"
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[ -d "$d" ] || continue
	for f in "$d"/*; do
		name=${f##*/}
		case $name in cargo | rustc | rustup | clang* | llvm-* | wasm-ld* | lld* | ld.lld* | *wasi*) continue ;; esac
		[ -x "$f" ] && [ ! -e "$bin/$name" ] && ln -s "$f" "$bin/$name"
	done
done
if PATH=$bin command -v clang-19 clang llvm-ar-19 wasm-ld >/dev/null 2>&1; then
	echo "outside-check: could not hide clang/LLVM from PATH" >&2; exit 1
fi

# 4. A rustc whose sysroot holds the host's standard library and nothing else: no wasm32 target.
real_sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
sysroot=$work/sysroot
mkdir -p "$sysroot/lib/rustlib"
ln -s "$real_sysroot/lib/rustlib/$host" "$sysroot/lib/rustlib/$host"
# (Written into a directory of its own: never through one of the symlinks above.)
mkdir "$work/rustc"
rustc_wrapper=$work/rustc/rustc
cat >"$rustc_wrapper" <<WRAP
#!/bin/sh
exec "$real_sysroot/bin/rustc" --sysroot "$sysroot" "\$@"
WRAP
chmod +x "$rustc_wrapper"
# cargo itself, not rustup's proxy (which would pick the toolchain's full sysroot back up).
ln -s "$real_sysroot/bin/cargo" "$bin/cargo"
echo 'pub fn f() {}' >"$work/probe.rs"
if "$rustc_wrapper" --target wasm32-wasip2 --crate-type lib --emit metadata -o "$work/probe.rmeta" "$work/probe.rs" >/dev/null 2>&1; then
	echo "outside-check: could not hide the wasm32-wasip2 target" >&2; exit 1
fi

# 5. Build and run it in that environment (nothing inherited: no CC_*/CFLAGS_* from the Makefile).
clean_env=(env -i "HOME=$HOME" "PATH=$bin" "RUSTC=$rustc_wrapper" "CARGO_TARGET_DIR=$repo/target"
	"CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}" "RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}" "TMPDIR=$work"
	"XDG_CACHE_HOME=$work/cache"
	# The workspace's release profile (debug line tables), so that shared dependencies are reused.
	"CARGO_PROFILE_RELEASE_DEBUG=line-tables-only")
start=$(date +%s)
(cd "$proj" && "${clean_env[@]}" cargo build --release --offline --quiet)
echo "outside-check: built the README's crate example in $(($(date +%s) - start)) s (no clang, no wasm target)"
out=$(cd "$proj" && "${clean_env[@]}" "$repo/target/release/hello-sandbox")
printf '%s\n' "$out" | sed 's/^/  | /'
expect() {
	printf '%s\n' "$out" | grep -qF -- "$1" || { echo "outside-check: expected a line with: $1" >&2; exit 1; }
}
expect "Hello from a dynamic Worker!"
expect '["agent-7"] ok b"{\"a\":1}"'
expect "exceededCpu: cpu time limit of 50 ms exceeded"
echo "outside-check: ok"
