//! TypeScript and npm packages for wasm-sandbox workers, built into the host (after Cloudflare's
//! `@cloudflare/worker-bundler`): a file map — TypeScript or JavaScript sources, a
//! `package.json` with `dependencies`, a `tsconfig.json` — becomes the module map the runtime
//! loads.
//!
//! - Types are stripped by oxc ([`source`]); a syntax error names `file:line:column`.
//! - Packages come from a registry through a verified, content-addressed cache ([`npm`]):
//!   semver ranges, dist-tags, SRI checked before a byte is used, no install scripts, tarballs
//!   unpacked in memory under caps ([`tarball`]).
//! - Specifiers are resolved on the host as Node and Workers' bundler resolve them (`exports` /
//!   `imports` maps under the `workerd`, `worker`, `browser`, `import`/`require`, `module`,
//!   `default` conditions; `browser`/`module`/`main` fields; extension and `index` probing) and
//!   the files are linked into a module map, CommonJS included ([`link`]).
//! - [`Bundler`] bounds the whole step (time, concurrency, sizes) and caches its result by a hash
//!   of (sources, resolved versions, bundler version).

#![warn(missing_docs, unreachable_pub)]
pub mod error;
pub mod fetch;
pub mod link;
pub mod manifest;
pub mod npm;
pub mod semver;
pub mod source;
pub mod tarball;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::Digest;
use wasm_sandbox_spec::modules::ModuleContent;

pub use error::{BundleError, ErrorKind};
use manifest::Json;
pub use npm::{Npm, NpmConfig};
pub use source::JsxConfig;

/// Changes whenever the linker's output for the same inputs may change (part of the cache key).
pub const BUNDLER_VERSION: &str = concat!(
    "wasm-sandbox-bundle/",
    env!("CARGO_PKG_VERSION"),
    "/oxc-0.146/link-1"
);

/// A worker's files by path (`src/index.ts`, `package.json`, ...).
pub type Files = BTreeMap<String, Vec<u8>>;

/// Bytes of bundled modules the result cache holds at most.
const RESULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Most files a worker may hand over.
pub const MAX_FILES: usize = 10_000;

/// A bundled worker: what the runtime loads, and the lock that rebuilds it.
#[derive(Debug, Clone)]
pub struct Bundled {
    /// The main module's name.
    pub main_module: String,
    /// The module map.
    pub modules: Vec<(String, ModuleContent)>,
    /// `name@version#integrity` of every package in it, sorted: keep it with the worker and a
    /// rebuild needs no registry.
    pub lock: Vec<String>,
    /// The cache key (hex SHA-256 of sources, resolved versions and [`BUNDLER_VERSION`]).
    pub key: String,
}

/// Limits and sources of the bundle step.
#[derive(Debug, Clone)]
pub struct BundleConfig {
    /// Where packages come from; `None`: a worker with dependencies is refused.
    pub npm: Option<NpmConfig>,
    /// Time for one bundle, registry included (default 60 s).
    pub time_limit: Duration,
    /// Bundles running at once (default 2); more wait, up to the time limit.
    pub max_concurrent: usize,
    /// Bundled results kept in memory (default 64).
    pub cache_entries: usize,
    /// Most bytes of package files one worker may pull in (default 128 MiB).
    pub max_package_bytes: u64,
}

impl Default for BundleConfig {
    fn default() -> Self {
        BundleConfig {
            npm: None,
            time_limit: Duration::from_secs(60),
            max_concurrent: 2,
            cache_entries: 64,
            max_package_bytes: 128 * 1024 * 1024,
        }
    }
}

/// Check and normalize a file map's paths: relative, `/`-separated, no `..`, no NUL, unique
/// after normalization (`./a.ts` and `a.ts` are the same file).
pub fn normalize_files(
    raw: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Result<Files, BundleError> {
    let mut out = Files::new();
    for (name, bytes) in raw {
        let bad = |why: &str| {
            BundleError::new(ErrorKind::Invalid, format!("bad file name {name:?}: {why}"))
        };
        if name.is_empty() || name.len() > wasm_sandbox_spec::modules::MAX_MODULE_NAME {
            return Err(bad("use a relative path like `src/index.ts`"));
        }
        if name.contains('\0') || name.contains('\\') || name.starts_with('/') || name.contains('?')
        {
            return Err(bad("use a relative path with `/` separators"));
        }
        let mut parts = Vec::new();
        for seg in name.split('/') {
            match seg {
                "" | "." => {}
                ".." => return Err(bad("`..` is not allowed")),
                s => parts.push(s),
            }
        }
        if parts.is_empty() {
            return Err(bad("use a relative path like `src/index.ts`"));
        }
        let path = parts.join("/");
        if out.insert(path.clone(), bytes).is_some() {
            return Err(BundleError::new(
                ErrorKind::Invalid,
                format!("file `{path}` is given twice"),
            ));
        }
        if out.len() > MAX_FILES {
            return Err(BundleError::new(
                ErrorKind::Invalid,
                format!("more than {MAX_FILES} files"),
            ));
        }
    }
    let total: usize = out.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > wasm_sandbox_spec::modules::MAX_CODE_BYTES {
        return Err(BundleError::new(
            ErrorKind::Invalid,
            format!(
                "the files total {total} bytes; at most {} are allowed",
                wasm_sandbox_spec::modules::MAX_CODE_BYTES
            ),
        ));
    }
    Ok(out)
}

/// The worker's `package.json`, parsed (an unparseable one is an error naming it).
fn root_manifest(files: &Files) -> Result<Option<Json>, BundleError> {
    let Some(bytes) = files.get("package.json") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| BundleError::new(ErrorKind::Invalid, "package.json is not UTF-8"))?;
    Json::parse(text).map(Some).map_err(|e| {
        BundleError::new(
            ErrorKind::Invalid,
            format!("package.json is not valid JSON: {e}"),
        )
    })
}

/// JSON with comments and trailing commas (as `tsconfig.json` is written), made strict.
fn strict_json(text: &str) -> String {
    let bytes = text.as_bytes();
    // Only ASCII bytes are dropped, so what remains is still UTF-8.
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            out.push(c);
            if c == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 1;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
            out.push(b'"');
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            continue;
        } else if c == b',' {
            let rest = text[i + 1..].trim_start();
            if !(rest.starts_with('}') || rest.starts_with(']')) {
                out.push(b',');
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// JSX settings from `tsconfig.json` (`jsx`, `jsxImportSource`, `jsxFactory`,
/// `jsxFragmentFactory`).
pub fn jsx_config(files: &Files) -> JsxConfig {
    let Some(text) = files
        .get("tsconfig.json")
        .and_then(|b| std::str::from_utf8(b).ok())
    else {
        return JsxConfig::default();
    };
    let Ok(json) = Json::parse(&strict_json(text)) else {
        return JsxConfig::default();
    };
    let Some(options) = json.get("compilerOptions") else {
        return JsxConfig::default();
    };
    JsxConfig {
        classic: options.get_str("jsx") == Some("react"),
        import_source: options.get_str("jsxImportSource").map(str::to_string),
        factory: options.get_str("jsxFactory").map(str::to_string),
        fragment: options.get_str("jsxFragmentFactory").map(str::to_string),
    }
}

/// The entry file: `main` if given, else `wrangler.json(c)`'s / `wrangler.toml`'s `main`,
/// `package.json`'s `main`/`module`, else the first of `src/index.ts`, `src/index.tsx`,
/// `src/index.js`, `src/index.mjs`, `index.ts`, `index.js`, `src/worker.ts`, `src/worker.js`,
/// `worker.ts`, `worker.js`.
pub fn entry_point(
    files: &Files,
    manifest: Option<&Json>,
    main: Option<&str>,
) -> Result<String, BundleError> {
    let strip = |s: &str| s.trim_start_matches("./").to_string();
    if let Some(m) = main {
        let m = strip(m);
        return if files.contains_key(&m) {
            Ok(m)
        } else {
            Err(BundleError::new(
                ErrorKind::Invalid,
                format!("the main module `{m}` is not among the files"),
            ))
        };
    }
    let mut candidates: Vec<String> = Vec::new();
    for name in ["wrangler.json", "wrangler.jsonc"] {
        if let Some(text) = files.get(name).and_then(|b| std::str::from_utf8(b).ok()) {
            if let Some(m) = Json::parse(&strict_json(text))
                .ok()
                .and_then(|j| j.get_str("main").map(strip))
            {
                candidates.push(m);
            }
        }
    }
    if let Some(text) = files
        .get("wrangler.toml")
        .and_then(|b| std::str::from_utf8(b).ok())
    {
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line
                .strip_prefix("main")
                .map(str::trim)
                .and_then(|r| r.strip_prefix('='))
            {
                candidates.push(strip(v.trim().trim_matches('"').trim_matches('\'')));
                break;
            }
            if line.starts_with('[') {
                break;
            }
        }
    }
    if let Some(m) = manifest {
        for field in ["main", "module"] {
            if let Some(v) = m.get_str(field) {
                candidates.push(strip(v));
            }
        }
    }
    for c in [
        "src/index.ts",
        "src/index.tsx",
        "src/index.js",
        "src/index.mjs",
        "index.ts",
        "index.js",
        "index.mjs",
        "src/worker.ts",
        "src/worker.js",
        "worker.ts",
        "worker.js",
    ] {
        candidates.push(c.to_string());
    }
    for c in &candidates {
        if files.contains_key(c) {
            return Ok(c.clone());
        }
    }
    Err(BundleError::new(
        ErrorKind::Invalid,
        "no main module: name one, or set `main` in package.json, or provide src/index.ts (or src/index.js, index.ts, index.js)",
    ))
}

fn cache_key(files: &Files, main: &str, lock: &[String]) -> String {
    let mut h = sha2::Sha256::new();
    h.update(BUNDLER_VERSION.as_bytes());
    h.update([0]);
    h.update(main.as_bytes());
    h.update([0]);
    for (name, bytes) in files {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    for line in lock {
        h.update(line.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn root_dependencies(manifest: Option<&Json>) -> Vec<(String, String)> {
    manifest
        .map(|m| m.string_map("dependencies"))
        .unwrap_or_default()
}

fn run_link(
    files: &Files,
    manifest: Option<&Json>,
    install: &npm::Install,
    main: &str,
    deadline: std::time::Instant,
) -> Result<link::Linked, BundleError> {
    let jsx = jsx_config(files);
    link::link(&link::LinkInput {
        files,
        manifest,
        install,
        main,
        jsx: &jsx,
        deadline,
    })
}

/// Bundle a worker that pulls in no packages (TypeScript, JSX and its own modules only), on this
/// thread. A `package.json` with `dependencies` needs a [`Bundler`].
pub fn bundle_local(files: Files, main: Option<&str>) -> Result<Bundled, BundleError> {
    let files = normalize_files(files)?;
    let manifest = root_manifest(&files)?;
    let deps = root_dependencies(manifest.as_ref());
    if !deps.is_empty() {
        return Err(BundleError::new(
            ErrorKind::Invalid,
            format!(
                "package.json has dependencies ({}): bundle with a Bundler that has a registry",
                deps.iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let main = entry_point(&files, manifest.as_ref(), main)?;
    let deadline = std::time::Instant::now() + BundleConfig::default().time_limit;
    let linked = run_link(
        &files,
        manifest.as_ref(),
        &npm::Install::default(),
        &main,
        deadline,
    )?;
    Ok(Bundled {
        main_module: linked.main_module,
        modules: linked.modules,
        lock: Vec::new(),
        key: cache_key(&files, &main, &[]),
    })
}

/// Bundled results by key, and the keys oldest first.
type ResultCache = (HashMap<String, Arc<Bundled>>, VecDeque<String>);

/// The bundle step, bounded and cached: see the crate docs.
pub struct Bundler {
    config: BundleConfig,
    npm: Option<Arc<Npm>>,
    permits: Arc<tokio::sync::Semaphore>,
    cache: Mutex<ResultCache>,
}

impl Bundler {
    /// A bundler with `config`'s registry and limits.
    pub fn new(config: BundleConfig) -> Bundler {
        Bundler {
            npm: config.npm.clone().map(|c| Arc::new(Npm::new(c))),
            permits: Arc::new(tokio::sync::Semaphore::new(config.max_concurrent.max(1))),
            cache: Mutex::new((HashMap::new(), VecDeque::new())),
            config,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &BundleConfig {
        &self.config
    }

    /// Bundle `files` (entry: `main`, or found as [`entry_point`] says). With `lock` (a worker's
    /// earlier lock record) the locked versions are reused and no registry is needed for them.
    pub async fn bundle(
        &self,
        files: Files,
        main: Option<&str>,
        lock: Option<&[String]>,
    ) -> Result<Arc<Bundled>, BundleError> {
        let limit = self.config.time_limit;
        let deadline = tokio::time::Instant::now() + limit;
        let _permit = tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                BundleError::new(
                    ErrorKind::Busy,
                    format!(
                        "too many bundles at once: none finished within {} s; try again",
                        limit.as_secs()
                    ),
                )
            })?
            .map_err(|_| BundleError::new(ErrorKind::Busy, "the bundler is shutting down"))?;
        match tokio::time::timeout_at(deadline, self.bundle_inner(files, main, lock, deadline))
            .await
        {
            Ok(r) => r,
            Err(_) => Err(BundleError::new(
                ErrorKind::Timeout,
                format!(
                    "bundling took longer than its limit of {} s",
                    limit.as_secs()
                ),
            )),
        }
    }

    async fn bundle_inner(
        &self,
        files: Files,
        main: Option<&str>,
        lock: Option<&[String]>,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<Bundled>, BundleError> {
        // Reading the files (names, package.json, the entry) is CPU work on attacker input:
        // on the blocking pool, never on a connection's event loop.
        let main = main.map(str::to_string);
        let (files, manifest, main) = tokio::task::spawn_blocking(move || {
            let files = normalize_files(files)?;
            let manifest = root_manifest(&files)?;
            let main = entry_point(&files, manifest.as_ref(), main.as_deref())?;
            Ok::<_, BundleError>((files, manifest, main))
        })
        .await
        .map_err(|e| {
            BundleError::new(ErrorKind::Invalid, format!("reading the files failed: {e}"))
        })??;
        let deps = root_dependencies(manifest.as_ref());
        let install = if deps.is_empty() {
            npm::Install::default()
        } else {
            let Some(npm) = &self.npm else {
                return Err(BundleError::new(
                    ErrorKind::Forbidden,
                    "this host bundles no npm packages (no [npm] registry is configured)",
                ));
            };
            let locked = lock
                .unwrap_or_default()
                .iter()
                .map(|l| {
                    npm::parse_lock_line(l).map_err(|e| BundleError::new(ErrorKind::Invalid, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            npm.install(&deps, &locked, deadline, self.config.max_package_bytes)
                .await?
        };
        let lock = install.lock();
        let (key, files, lock) = tokio::task::spawn_blocking(move || {
            let key = cache_key(&files, &main, &lock);
            (key, (files, main), lock)
        })
        .await
        .map_err(|e| {
            BundleError::new(ErrorKind::Invalid, format!("hashing the files failed: {e}"))
        })?;
        if let Some(hit) = self.cache.lock().expect("lock").0.get(&key) {
            return Ok(hit.clone());
        }
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let std_deadline = std::time::Instant::now() + remaining;
        let (files, main) = files;
        let linked = tokio::task::spawn_blocking(move || {
            run_link(&files, manifest.as_ref(), &install, &main, std_deadline)
        })
        .await
        .map_err(|e| {
            BundleError::new(ErrorKind::Invalid, format!("the bundle step failed: {e}"))
        })??;
        let bytes = wasm_sandbox_spec::modules::source_bytes(&linked.modules);
        if bytes > wasm_sandbox_spec::modules::MAX_CODE_BYTES {
            return Err(BundleError::new(
                ErrorKind::Invalid,
                format!(
                    "the bundled modules total {bytes} bytes; at most {} are allowed",
                    wasm_sandbox_spec::modules::MAX_CODE_BYTES
                ),
            ));
        }
        let bundled = Arc::new(Bundled {
            main_module: linked.main_module,
            modules: linked.modules,
            lock,
            key: key.clone(),
        });
        let mut cache = self.cache.lock().expect("lock");
        if cache.0.insert(key.clone(), bundled.clone()).is_none() {
            cache.1.push_back(key);
        }
        // Bounded by count and by bytes.
        let held = |c: &HashMap<String, Arc<Bundled>>| -> usize {
            c.values()
                .map(|b| wasm_sandbox_spec::modules::source_bytes(&b.modules))
                .sum()
        };
        while cache.1.len() > self.config.cache_entries
            || (cache.1.len() > 1 && held(&cache.0) > RESULT_CACHE_BYTES)
        {
            if let Some(old) = cache.1.pop_front() {
                cache.0.remove(&old);
            }
        }
        Ok(bundled)
    }

    /// Fetch `specs` (`name`, `name@range`, `@scope/name@tag`) and everything they pull in into
    /// the package cache (what `wasm-sandbox deps add` does); the lock lines of what was added.
    pub async fn add(&self, specs: &[String]) -> Result<Vec<String>, BundleError> {
        let Some(npm) = &self.npm else {
            return Err(BundleError::new(
                ErrorKind::Forbidden,
                "no [npm] registry is configured",
            ));
        };
        let deps = specs
            .iter()
            .map(|s| {
                let at = s.get(1..).and_then(|r| r.find('@')).map(|i| i + 1);
                match at {
                    Some(i) => (s[..i].to_string(), s[i + 1..].to_string()),
                    None => (s.clone(), "latest".to_string()),
                }
            })
            .collect::<Vec<_>>();
        let deadline = tokio::time::Instant::now() + self.config.time_limit;
        let install = npm
            .install(&deps, &[], deadline, self.config.max_package_bytes)
            .await?;
        Ok(install.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Files {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn names_are_normalized_and_checked() {
        let f = normalize_files(files(&[("./src/index.ts", "x")])).unwrap();
        assert!(f.contains_key("src/index.ts"));
        for bad in ["../x.ts", "/abs.ts", "a\\b.ts", "", "a/../../b", "x\0"] {
            assert!(normalize_files(files(&[(bad, "x")])).is_err(), "{bad:?}");
        }
        assert!(normalize_files(files(&[("a.ts", "1"), ("./a.ts", "2")])).is_err());
    }

    #[test]
    fn local_typescript_links_with_extensionless_and_js_specifiers() {
        let b = bundle_local(
            files(&[
                ("src/index.ts", "import { greet } from './greet.js';\nimport { n } from './util';\nexport default { fetch(): Response { return new Response(greet(n)); } };"),
                ("src/greet.ts", "export const greet = (n: number): string => `hi ${n}`;"),
                ("src/util/index.ts", "export const n: number = 3;"),
                ("tsconfig.json", "{ // comment\n \"compilerOptions\": { \"strict\": true, } }"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(b.main_module, "src/index.ts");
        let main = b.modules.iter().find(|(n, _)| n == "src/index.ts").unwrap();
        let ModuleContent::Js(js) = &main.1 else {
            panic!()
        };
        assert!(
            js.contains("\"src/greet.ts\"") && js.contains("\"src/util/index.ts\""),
            "{js}"
        );
        let err =
            bundle_local(files(&[("src/index.ts", "import './missing';")]), None).unwrap_err();
        assert!(
            err.message.contains("src/index.ts:1:8") && err.message.contains("src/missing.ts"),
            "{err}"
        );
        let err = bundle_local(
            files(&[(
                "src/index.ts",
                "import fs from 'node:fs'; fs.readFileSync('x');",
            )]),
            None,
        )
        .unwrap_err();
        assert!(err.message.contains("node:buffer"), "{err}");
        let err = bundle_local(
            files(&[("src/index.ts", "import { Hono } from 'hono'; new Hono();")]),
            None,
        )
        .unwrap_err();
        assert!(err.message.contains("unknown package `hono`"), "{err}");
    }

    #[test]
    fn tsconfig_comments_and_trailing_commas() {
        let f = files(&[("tsconfig.json", "{\n // c\n \"compilerOptions\": { /* x */ \"jsx\": \"react-jsx\", \"jsxImportSource\": \"hono/jsx\", },\n}")]);
        assert_eq!(jsx_config(&f).import_source.as_deref(), Some("hono/jsx"));
    }
}
