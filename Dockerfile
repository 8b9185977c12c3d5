# The daemon's image: `docker build -t wasm-sandbox:latest .` from the repository's root.
# (BuildKit, the default builder since Docker 23: the build step uses cache mounts.)
# deploy/kubernetes/ runs it (N replicas, one Postgres); deploy/validate.sh checks this file
# against those manifests (stages, user, port, the engine cache).
#
# Alone, without Kubernetes (a redb store in a volume; the token is required beyond loopback):
#   docker run -p 8787:8787 -e WASM_SANDBOX_TOKEN=... -v ws-data:/var/lib/wasm-sandbox wasm-sandbox

# ---- build: the release binary ---------------------------------------------------------------
# Cargo.toml's rust-version is 1.95 (the newest wasmtime line that builds on it is pinned).
FROM rust:1.95-bookworm AS build
# What this stage needs is what rust:bookworm has: rustc, cargo, and gcc for the few C parts
# (ring, zstd-sys, wasmtime's helpers). Not what `make setup` installs (clang-19, llvm-19,
# wasi-libc, the wasm32-wasip2 target): those build the guest (`make engine`: QuickJS for
# wasm32-wasip2), and the guest's bytes are committed in crates/engine/ (engine.wasm,
# standalone.wasm), which the engine crate embeds as they are; its build script builds nothing.
# So do not .dockerignore crates/engine/*.wasm, nor guest-js/src (crates/bundle includes a
# file from it).
WORKDIR /src
COPY . .
# The registry and target caches stay on the builder between builds (BuildKit); the binary is
# copied out of the cached target dir in the same step. Its line tables are kept (panics name
# source lines) but compressed: about 290 MB -> 110 MB.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p wasm-sandbox-cli --bin wasm-sandbox \
 && objcopy --compress-debug-sections=zlib target/release/wasm-sandbox /usr/local/bin/wasm-sandbox

# ---- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# The binary needs only glibc, libm and libgcc_s (all in the base). ca-certificates is for
# whoever shells in: the daemon's own TLS (workers' fetch(), the npm registry) trusts the Mozilla
# roots compiled into it (webpki-roots), not /etc/ssl/certs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The daemon's user: uid/gid 10001, no home, no shell. data_dir is its own (Kubernetes mounts an
# emptyDir there; `docker run` a volume).
RUN groupadd --system --gid 10001 wasm-sandbox \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin wasm-sandbox \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/wasm-sandbox
COPY --from=build /usr/local/bin/wasm-sandbox /usr/local/bin/wasm-sandbox

# The engine (QuickJS, pre-initialized) compiled to native code once, here, so that a replica
# starts in milliseconds instead of compiling it (1.5 s of 2 CPUs) at every start: one run of a
# tiny worker compiles it and caches it as $WASM_SANDBOX_CACHE_DIR/engine-<key>.cwasm.
# The key (crates/runtime/src/engine.rs: cache_key) is a hash of the engine's bytes, the crate
# version and wasmtime's compatibility hash, which includes the CPU features Cranelift compiled
# for: those of the machine running this build. A node whose CPU has other features computes
# another key, finds no file, and compiles the engine at start. Built as root, so the directory
# and file are root's and read-only to the daemon (they hold native code: nobody the daemon runs
# as may rewrite them). On such a node the daemon compiles in memory, warns that it could not
# cache the result, and serves; in a pod a cache written at start would die with the pod anyway
# (an emptyDir), and one mounted over this directory would hide the precompiled file. The key
# does not depend on the daemon's [engine] settings: `run` here and `serve` share the file.
ENV WASM_SANDBOX_CACHE_DIR=/var/cache/wasm-sandbox
RUN printf 'export default { fetch() { return new Response("ok"); } };\n' > /tmp/precompile.js \
 && wasm-sandbox run /tmp/precompile.js | grep -qx ok \
 && rm /tmp/precompile.js \
 && ls -l "$WASM_SANDBOX_CACHE_DIR"/engine-*.cwasm

USER 10001:10001
WORKDIR /var/lib/wasm-sandbox
EXPOSE 8787
# No HEALTHCHECK: Kubernetes probes GET /healthz (deployment.yaml); the image has no HTTP client.
ENTRYPOINT ["wasm-sandbox"]
# Without Kubernetes' --config: every interface, the redb store under the data dir.
CMD ["serve", "--listen", "0.0.0.0:8787", "--data-dir", "/var/lib/wasm-sandbox"]
