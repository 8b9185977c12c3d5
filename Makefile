# wasm-sandbox: setup, build (guest first), test, run, bench, lint.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# The C toolchain for wasm32-wasip2 (QuickJS is C): Debian's clang-19 + wasi-libc headers.
export RQUICKJS_SYS_NO_WASI_SDK := 1
export CC_wasm32_wasip2 := clang-19
export AR_wasm32_wasip2 := llvm-ar-19
export CFLAGS_wasm32_wasip2 := -isystem /usr/include/wasm32-wasi
export BINDGEN_EXTRA_CLANG_ARGS_wasm32_wasip2 := -isystem /usr/include/wasm32-wasi
# No build machine's paths in the guest (panic locations name the crate sources): the same
# sources give the same bytes in any checkout, under any CARGO_HOME.
export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS := --remap-path-prefix=$(or $(CARGO_HOME),$(HOME)/.cargo)=/cargo --remap-path-prefix=$(CURDIR)=/src

GUEST_WASM := target/wasm32-wasip2/release/wasm_sandbox_engine.wasm
STANDALONE_WASM := target/standalone/wasm32-wasip2/release/wasm_sandbox_engine.wasm
ENGINE := target/engine/engine.wasm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: bench-replicas haproxy deploy-check npm-acceptance setup engine engine-deterministic engine-check outside-check doc openapi-lint build test serve run-example bench bench-count bench-compare soak fuzz-smoke workerd lint fmt clean

# The isolate variant for the side-by-side benchmark: Cloudflare's workerd, pinned, from npm.
WORKERD_VERSION := 1.20261117.1

## setup: install what the build needs (rustup target, clang-19 + wasi-libc for the guest's C).
setup:
	@rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
	@if ! command -v clang-19 >/dev/null || ! command -v llvm-ar-19 >/dev/null || [ ! -f /usr/include/wasm32-wasi/stdlib.h ]; then \
		echo "installing clang-19, llvm-19 and wasi-libc (Debian packages)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq clang-19 llvm-19 wasi-libc >/dev/null; \
	fi

## engine: the guest (QuickJS + prelude) for wasm32-wasip2, pre-initialized with wizer; and the
## standalone (wasi:http/proxy) form of the guest that `wasm-sandbox compile` snapshots per worker.
## The snapshot tool is built with --workspace so its wasmtime has the same features (and so is the
## same build) as the workspace's. The snapshot is taken again only when the guest or the tool is newer,
## so an unchanged guest rebuilds nothing; and it is byte-for-byte deterministic (fixed clocks and
## seeded random during initialization; `make engine-deterministic` checks it), so a guest rebuilt
## to the same bytes gives the same engine.
## Both components are then copied into crates/engine/, the crate that carries them (so that a
## crate depending on wasm-sandbox builds without clang or the wasm target): commit them with the
## guest change; `make engine-check` (in `make test`) fails when the committed bytes drift.
engine: setup
	cd guest-js && cargo build --release --target wasm32-wasip2 --target-dir ../target
	cd guest-js && cargo build --release --target wasm32-wasip2 --target-dir ../target/standalone --features standalone
	cargo build --release --workspace --bin wasm-sandbox-snapshot
	@mkdir -p target/engine
	@if [ ! -f $(ENGINE) ] || [ $(GUEST_WASM) -nt $(ENGINE) ] || [ target/release/wasm-sandbox-snapshot -nt $(ENGINE) ]; then \
		echo ./target/release/wasm-sandbox-snapshot $(GUEST_WASM) $(ENGINE); \
		./target/release/wasm-sandbox-snapshot $(GUEST_WASM) $(ENGINE); \
	fi
	cmp -s $(STANDALONE_WASM) target/engine/standalone.wasm || cp $(STANDALONE_WASM) target/engine/standalone.wasm
	@for f in engine standalone; do \
		if ! cmp -s target/engine/$$f.wasm crates/engine/$$f.wasm; then \
			cp target/engine/$$f.wasm crates/engine/$$f.wasm; \
			echo "crates/engine/$$f.wasm refreshed from the guest sources ($$(wc -c < crates/engine/$$f.wasm) bytes): commit it"; \
		fi; \
	done

## engine-check: the engine bytes committed in crates/engine/ are exactly what the committed guest
## sources build. Strict on a checkout whose guest inputs (guest-js/, wit/, crates/snapshot/,
## crates/spec/src/js.rs which the guest compiles in by path)
## are as committed, as in CI; while those have uncommitted edits the bytes are expected to move
## and it only says so.
engine-check: engine
	@if ! git rev-parse --git-dir >/dev/null 2>&1; then echo "engine-check: not a git checkout, skipped"; exit 0; fi; \
	if git diff --quiet HEAD -- crates/engine/engine.wasm crates/engine/standalone.wasm; then \
		echo "engine-check: crates/engine/*.wasm are what the guest sources build"; \
	elif git diff --quiet HEAD -- guest-js wit crates/snapshot crates/spec/src/js.rs Cargo.lock; then \
		echo "engine-check: the committed crates/engine/*.wasm are NOT what the committed guest sources build."; \
		echo "\`make engine\` has put the bytes they build in crates/engine/: commit crates/engine/engine.wasm and crates/engine/standalone.wasm."; \
		exit 1; \
	else \
		echo "engine-check: guest sources have uncommitted edits; crates/engine/*.wasm refreshed from them (commit both together)"; \
	fi

## engine-deterministic: snapshot the guest twice and compare the bytes with each other and with
## the engine in use (a difference would mean the initialization read something that varies).
engine-deterministic: engine
	@tmp=$$(mktemp -d) && \
	./target/release/wasm-sandbox-snapshot $(GUEST_WASM) $$tmp/a.wasm && \
	./target/release/wasm-sandbox-snapshot $(GUEST_WASM) $$tmp/b.wasm && \
	cmp $$tmp/a.wasm $$tmp/b.wasm && cmp $$tmp/a.wasm $(ENGINE); \
	status=$$?; rm -rf $$tmp; \
	if [ $$status -ne 0 ]; then echo "the engine snapshot is not deterministic"; exit 1; fi; \
	echo "engine snapshot: deterministic ($$(wc -c < $(ENGINE)) bytes)"

## build: everything, release (the binary is target/release/wasm-sandbox).
build: engine
	cargo build --release --workspace

## test: the whole suite (release profile: one wasmtime build serves build, tests and benches;
## a throwaway Postgres on loopback for the store suites, tests/pg/with-postgres.sh),
## then a smoke run of the side-by-side harness against workerd (~1/20 of the requests; checks
## that every row has numbers and that wasm-sandbox failed nothing), the fuzz smoke and the lints.
test: build workerd
	$(MAKE) engine-check
	$(MAKE) engine-deterministic
	$(MAKE) haproxy
	WASM_SANDBOX_REQUIRE_HAPROXY=1 tests/pg/with-postgres.sh cargo test --release --workspace
	$(MAKE) outside-check
	$(MAKE) doc
	$(MAKE) openapi-lint
	$(MAKE) deploy-check
	$(MAKE) npm-acceptance
	COMPARE_SMOKE=1 cargo bench --workspace --bench compare
	REPLICAS_SMOKE=1 tests/pg/with-postgres.sh cargo bench --workspace --bench replicas
	$(MAKE) fuzz-smoke
	$(MAKE) lint

## doc: the published crates' API docs, with rustdoc's warnings as errors (broken links, bad
## HTML, a public item without docs: each crate denies missing_docs). Their examples run as
## doctests in `cargo test --release --workspace`.
PUBLISHED := -p wasm-sandbox -p wasm-sandbox-engine -p wasm-sandbox-policy -p wasm-sandbox-spec -p wasm-sandbox-bundle
doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps $(PUBLISHED)
	@echo "API docs: target/doc/wasm_sandbox/index.html"

## haproxy: Debian's haproxy, for the multi-replica test behind deploy/haproxy/haproxy.cfg
## (installed if absent; nothing is started by it here).
haproxy:
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then \
		echo "installing haproxy (Debian package)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy >/dev/null; \
	fi

## deploy-check: the Kubernetes manifests (deploy/kubernetes/) and the Dockerfile, validated
## offline: schemas (kubernetes-validate, pinned, strict), their wiring (selectors, keys, ports,
## probes, drain vs grace period, the config's keys), and the Dockerfile's stages; then the same
## checks shown to fail on 38 broken copies (--self-test). The ConfigMap's TOML is also parsed by
## the daemon's own parser (crates/server/tests/deploy_config.rs, in cargo test).
deploy-check:
	deploy/validate.sh --self-test

## openapi-lint: docs/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator, from
## PyPI, pinned, in a venv under target/). tests/e2e/openapi.rs checks it against the daemon.
OPENAPI_VALIDATOR_VERSION := 0.9.0
OPENAPI_VENV := target/openapi-venv
openapi-lint:
	@if [ ! -x $(OPENAPI_VENV)/bin/python ]; then \
		python3 -m venv $(OPENAPI_VENV) 2>/dev/null || { \
			rm -rf $(OPENAPI_VENV); \
			$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv >/dev/null && \
			python3 -m venv $(OPENAPI_VENV); }; \
	fi
	@$(OPENAPI_VENV)/bin/pip show openapi-spec-validator 2>/dev/null | grep -qx 'Version: $(OPENAPI_VALIDATOR_VERSION)' || \
		$(OPENAPI_VENV)/bin/pip install -q --disable-pip-version-check openapi-spec-validator==$(OPENAPI_VALIDATOR_VERSION)
	$(OPENAPI_VENV)/bin/openapi-spec-validator docs/openapi.json

## outside-check: the crate as another project gets it: `cargo package` of the library and its
## sibling crates (file lists checked), then the README's crate example as a throwaway project in
## a temp dir, built from the packages with clang, LLVM and the wasm32 target hidden, and run.
outside-check: build
	tests/outside/check.sh

## npm-acceptance: Cloudflare's worker-bundler Hono example and a script each for ms, zod, hono,
## itty-router, nanoid, date-fns and jose, through the daemon, from the public npm registry.
## (--workspace: the same feature set as `cargo test --release --workspace`, so nothing is rebuilt.)
npm-acceptance: build
	cargo test --release --workspace --test e2e npm_public -- --ignored

## fuzz-smoke: each cargo-fuzz target (crates/fuzz: the outbound rules, the daemon's JSON bodies,
## the module map, the WIT boundary's host side) for FUZZ_SECONDS (default 60), from its seeds.
## cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 lets the pinned stable toolchain provide them.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := outbound_rules daemon_json module_map wit_boundary
CARGO_FUZZ_VERSION := 0.13.2
fuzz-smoke:
	@command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION)
	RUSTC_BOOTSTRAP=1 cargo fuzz build --fuzz-dir crates/fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p crates/fuzz/corpus/$$t; \
		echo "fuzz-smoke: $$t for $(FUZZ_SECONDS) s"; \
		RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir crates/fuzz $$t crates/fuzz/corpus/$$t crates/fuzz/seeds/$$t \
			-- -max_total_time=$(FUZZ_SECONDS) -timeout=10; \
	done

## serve: the daemon on 127.0.0.1:8787 with the embedded default config (ARGS="..." adds flags).
serve: build
	./target/release/wasm-sandbox serve $(ARGS)

## run-example: run the seed example through the CLI.
run-example: build
	./target/release/wasm-sandbox run examples/hello.js --include

## bench: criterion benches of the in-process paths.
bench: build
	cargo bench --workspace --bench runtime

## bench-count: instructions per operation (fetch_cached, load_fetch_unique) counted under valgrind:
## a before/after measure that does not move with the machine's load (installs valgrind if missing).
bench-count: build
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind >/dev/null; }
	cargo bench --workspace --bench count

## workerd: install the pinned workerd from the npm registry into target/workerd (nothing global).
workerd:
	@if [ ! -x target/workerd/node_modules/.bin/workerd ] || ! target/workerd/node_modules/.bin/workerd --version >/dev/null 2>&1; then \
		command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }; \
		mkdir -p target/workerd && cd target/workerd && { [ -f package.json ] || echo '{"private":true}' > package.json; } && \
		npm install --no-audit --no-fund --silent workerd@$(WORKERD_VERSION); \
	fi

## bench-replicas: 3 replicas behind HAProxy vs 1 daemon, the balancer's added latency, and the
## store's cost (redb vs Postgres) on cold /api/get and warm /workers/{id} (a test Postgres,
## haproxy; one run, medians).
bench-replicas: build haproxy
	tests/pg/with-postgres.sh cargo bench --workspace --bench replicas

## bench-compare: the side-by-side harness against workerd (results under benches/results/).
bench-compare: build workerd
	cargo bench --workspace --bench compare

## soak: three rounds of mixed, partly hostile traffic against the daemon on loopback (bounded:
## SOAK_REQUESTS per round, default 20,000; at most SOAK_ROUND_SECONDS, default 150, per round);
## prints RSS per round, unexpected outcomes and the daemon's counts against what was sent.
soak: build
	cargo bench --workspace --bench soak

## lint: rustfmt and clippy (-D warnings) on the host workspace and on the guest, in both of its
## forms (the guest's C toolchain comes from the exports above).
lint: engine
	cargo fmt --all -- --check
	cd guest-js && cargo fmt -- --check
	cargo clippy --release --workspace --all-targets -- -D warnings
	cd guest-js && cargo clippy --release --target wasm32-wasip2 --target-dir ../target -- -D warnings
	cd guest-js && cargo clippy --release --target wasm32-wasip2 --target-dir ../target/standalone --features standalone -- -D warnings

fmt:
	cargo fmt --all
	cd guest-js && cargo fmt

clean:
	cargo clean
