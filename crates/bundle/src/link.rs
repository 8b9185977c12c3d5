//! The worker's files and its packages, linked into the module map the runtime's QuickJS loader
//! reads: every specifier resolved on the host (relative paths, `exports`/`imports` maps under
//! the Workers conditions, `node:` built-ins) and rewritten to the module's name; CommonJS files
//! wrapped so that `require` keeps its lazy, cached, cycle-tolerant meaning.
//!
//! Names: the worker's own files keep their paths (`src/index.ts`); a package file is
//! `node_modules/<name>@<version>/<path>`, so two versions of one package sit side by side. A
//! CommonJS file `f` becomes two modules: `f` defines it (its body, run on first `require`) and
//! `f?esm` is what `import` sees (its `module.exports` as the default export, plus the names it
//! assigns as named exports).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;

use wasm_sandbox_spec::modules::ModuleContent;

use crate::error::{BundleError, ErrorKind};
use crate::manifest::{resolve_exports, resolve_imports, Json, Target};
use crate::npm::Install;
use crate::source::{self, JsxConfig, Request, Syntax};

/// Conditions for `import` (Workers' bundler order: the runtime first, then the Web).
pub const IMPORT_CONDITIONS: &[&str] = &["workerd", "worker", "browser", "import", "module"];
/// Conditions for `require`.
pub const REQUIRE_CONDITIONS: &[&str] = &["workerd", "worker", "browser", "require", "module"];

/// The `node:` modules the runtime provides (kept equal to the guest's list by a test).
pub const RUNTIME_NODE_MODULES: &[&str] = &[
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "crypto",
    "events",
    "path",
    "path/posix",
    "process",
    "stream",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "url",
    "util",
];

/// Node's built-in module names (so `fs` is recognized as one, and refused by name).
const NODE_BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// Extensions tried for an extensionless specifier, in order.
const EXTENSIONS: &[&str] = &[
    ".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", ".jsx", ".json",
];

/// Who owns a file: the worker itself, or package `i` of the install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Owner {
    Root,
    Pkg(usize),
}

type FileId = (Owner, String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    File(FileId),
    /// A built-in the runtime provides: `node:x` or `cloudflare:x`.
    Builtin(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Esm,
    Cjs,
    Json,
    Text,
    Data,
}

/// Inputs of one link.
pub struct LinkInput<'a> {
    /// The worker's files (normalized paths).
    pub files: &'a BTreeMap<String, Vec<u8>>,
    /// Its `package.json`, if any.
    pub manifest: Option<&'a Json>,
    /// The packages it pulls in.
    pub install: &'a Install,
    /// The entry file.
    pub main: &'a str,
    /// JSX settings from `tsconfig.json`.
    pub jsx: &'a JsxConfig,
    /// Give up past this instant.
    pub deadline: std::time::Instant,
}

/// The module map and its main module.
pub struct Linked {
    /// The main module's name.
    pub main_module: String,
    /// Every module.
    pub modules: Vec<(String, ModuleContent)>,
}

struct Linker<'a> {
    input: &'a LinkInput<'a>,
    /// Every file reached, with what it became.
    done: BTreeMap<FileId, Prepared>,
}

struct Prepared {
    kind: Kind,
    /// JS after type stripping (Esm/Cjs); the raw text or bytes otherwise.
    code: Vec<u8>,
    /// Resolved specifiers by their position in `code` (Esm) / by value (Cjs requires).
    links: Vec<(source::Specifier, Option<Resolved>, String)>,
    /// CommonJS: the names it assigns on `exports`.
    cjs_exports: Vec<String>,
    cjs_reexports: Vec<Resolved>,
    /// ES module: the names it imports, by specifier (`import { a } from "x"` → ("x", "a")).
    named_imports: Vec<(String, String)>,
}

fn invalid(message: String) -> BundleError {
    BundleError::new(ErrorKind::Invalid, message)
}

/// Normalize `a/./b/../c` inside a package; `None` if it climbs out of it.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn kind_of(path: &str) -> Kind {
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx" => Kind::Esm,
        "json" => Kind::Json,
        "txt" | "html" | "md" | "csv" | "svg" | "css" | "xml" => Kind::Text,
        _ => Kind::Data,
    }
}

/// Split `@scope/name/sub/path` into (`@scope/name`, `./sub/path` or `.`).
fn split_package(spec: &str) -> Option<(&str, String)> {
    let mut parts = spec.splitn(3, '/');
    let first = parts.next()?;
    let (name_len, rest) = if first.starts_with('@') {
        let second = parts.next()?;
        (first.len() + 1 + second.len(), parts.next())
    } else {
        let rest = spec.split_once('/').map(|(_, r)| r);
        (first.len(), rest)
    };
    let name = &spec[..name_len];
    let sub = match rest {
        Some(r) if !r.is_empty() => format!("./{r}"),
        _ => ".".to_string(),
    };
    Some((name, sub))
}

impl<'a> Linker<'a> {
    fn files(&self, owner: Owner) -> &'a BTreeMap<String, Vec<u8>> {
        match owner {
            Owner::Root => self.input.files,
            Owner::Pkg(i) => &self.input.install.packages[i].files,
        }
    }

    fn manifest(&self, owner: Owner) -> Option<&'a Json> {
        match owner {
            Owner::Root => self.input.manifest,
            Owner::Pkg(i) => Some(&self.input.install.packages[i].manifest),
        }
    }

    fn describe(&self, id: &FileId) -> String {
        module_name(self.input.install, id)
    }

    /// A file of `owner` at `base`, trying extensions, TypeScript's `.js` → `.ts` and
    /// directories (their `package.json` `main`, then `index`).
    fn probe(&self, owner: Owner, base: &str, tried: &mut Vec<String>) -> Option<String> {
        self.probe_from(owner, base, tried, true)
    }

    /// `probe`; a directory's `package.json` `main` is followed only when `follow_main` (once:
    /// two directories whose `main` points at each other must not recurse).
    fn probe_from(
        &self,
        owner: Owner,
        base: &str,
        tried: &mut Vec<String>,
        follow_main: bool,
    ) -> Option<String> {
        let files = self.files(owner);
        let show = |p: &str| self.describe(&(owner, p.to_string()));
        let mut candidates = vec![base.to_string()];
        for ext in EXTENSIONS {
            candidates.push(format!("{base}{ext}"));
        }
        for (js, ts) in [
            (".js", &[".ts", ".tsx"][..]),
            (".mjs", &[".mts"]),
            (".cjs", &[".cts"]),
            (".jsx", &[".tsx"]),
        ] {
            if let Some(stem) = base.strip_suffix(js) {
                for t in ts {
                    candidates.push(format!("{stem}{t}"));
                }
            }
        }
        for c in &candidates {
            if !c.is_empty() && files.contains_key(c) {
                return Some(c.clone());
            }
            tried.push(show(c));
        }
        let dir = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };
        if let Some(main) = follow_main
            .then(|| files.get(&format!("{dir}package.json")))
            .flatten()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| Json::parse(t).ok())
            .and_then(|j| j.get_str("main").map(str::to_string))
        {
            if let Some(m) = normalize(&format!("{dir}{main}")) {
                if m != base {
                    if let Some(found) = self.probe_from(owner, &m, tried, false) {
                        return Some(found);
                    }
                }
            }
        }
        for ext in EXTENSIONS {
            let c = format!("{dir}index{ext}");
            if files.contains_key(&c) {
                return Some(c);
            }
            tried.push(show(&c));
        }
        None
    }

    fn resolve(&self, from: &FileId, spec: &str, require: bool) -> Result<Resolved, String> {
        let conditions = if require {
            REQUIRE_CONDITIONS
        } else {
            IMPORT_CONDITIONS
        };
        let owner = from.0;
        if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
            let joined = format!("{}/{}", dir_of(&from.1), spec);
            let Some(base) = normalize(&joined) else {
                return Err(format!(
                    "`{spec}` leaves the {}",
                    match owner {
                        Owner::Root => "worker's files".to_string(),
                        Owner::Pkg(i) => format!("package {}", self.input.install.packages[i].name),
                    }
                ));
            };
            let mut tried = Vec::new();
            return match self.probe(owner, &base, &mut tried) {
                Some(p) => Ok(Resolved::File((owner, p))),
                None => Err(format!(
                    "module not found: `{spec}` (tried {})",
                    tried.join(", ")
                )),
            };
        }
        if spec.starts_with('/') {
            return Err(format!(
                "`{spec}`: absolute paths are not modules here; use a relative path"
            ));
        }
        if let Some(rest) = spec.strip_prefix('#') {
            let _ = rest;
            let imports = self.manifest(owner).and_then(|m| m.get("imports"));
            let target = match imports {
                Some(i) => {
                    resolve_imports(i, spec, conditions).map_err(|e| format!("`{spec}`: {e}"))?
                }
                None => Target::NotExported,
            };
            return match target {
                Target::Path(p) if p.starts_with("./") => {
                    let mut tried = Vec::new();
                    let base = normalize(&p).unwrap_or_default();
                    self.probe(owner, &base, &mut tried)
                        .map(|f| Resolved::File((owner, f)))
                        .ok_or_else(|| {
                            format!(
                                "`{spec}` maps to {p}, which does not exist (tried {})",
                                tried.join(", ")
                            )
                        })
                }
                // A target is a package (or built-in), never another `#` import: that could
                // loop.
                Target::Path(p) if p.starts_with('#') => Err(format!(
                    "`{spec}` maps to {p:?}: an \"imports\" target may not be another #import"
                )),
                Target::Path(p) => self.resolve(from, &p, require),
                Target::NotExported => Err(format!(
                    "`{spec}` is not in the \"imports\" of its package.json"
                )),
            };
        }
        if let Some(rest) = spec.strip_prefix("cloudflare:") {
            let _ = rest;
            return Ok(Resolved::Builtin(spec.to_string()));
        }
        let bare = spec.strip_prefix("node:");
        let builtin_name = bare.unwrap_or(spec);
        let root_name = builtin_name.split('/').next().unwrap_or("");
        if bare.is_some() || NODE_BUILTINS.contains(&root_name) {
            // A dependency of the same name shadows a Node built-in only without `node:`.
            let shadowed = bare.is_none() && self.package_for(owner, root_name).is_some();
            if !shadowed {
                if RUNTIME_NODE_MODULES.contains(&builtin_name) {
                    return Ok(Resolved::Builtin(format!("node:{builtin_name}")));
                }
                return Err(format!(
                    "`{spec}` is a Node built-in this runtime does not provide; the node: modules there are {}",
                    RUNTIME_NODE_MODULES.iter().map(|m| format!("node:{m}")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let Some((name, subpath)) = split_package(spec) else {
            return Err(format!("`{spec}` is not a valid module specifier"));
        };
        let Some(pkg) = self.package_for(owner, name) else {
            return Err(match owner {
                Owner::Root => format!(
                    "unknown package `{name}`: add it to the \"dependencies\" of package.json"
                ),
                Owner::Pkg(i) => {
                    let p = &self.input.install.packages[i];
                    format!(
                        "package `{name}` is not a dependency of {}@{} (nor of the worker)",
                        p.name, p.version
                    )
                }
            });
        };
        self.resolve_in_package(pkg, &subpath, conditions, spec)
    }

    /// The package `name` as seen from `owner`: its own dependency, else the worker's (npm's
    /// hoisting makes those visible to every package), else itself by name.
    fn package_for(&self, owner: Owner, name: &str) -> Option<Owner> {
        let install = self.input.install;
        if let Owner::Pkg(i) = owner {
            if let Some(d) = install.packages[i].deps.get(name) {
                return Some(Owner::Pkg(*d));
            }
            if install.packages[i].name == name {
                return Some(owner);
            }
        }
        if let Some(d) = install.root.get(name) {
            return Some(Owner::Pkg(*d));
        }
        if owner == Owner::Root && self.input.manifest.and_then(|m| m.get_str("name")) == Some(name)
        {
            return Some(Owner::Root);
        }
        None
    }

    fn resolve_in_package(
        &self,
        pkg: Owner,
        subpath: &str,
        conditions: &[&str],
        spec: &str,
    ) -> Result<Resolved, String> {
        let manifest = self.manifest(pkg);
        let label = match pkg {
            Owner::Root => "the worker".to_string(),
            Owner::Pkg(i) => {
                let p = &self.input.install.packages[i];
                format!("{}@{}", p.name, p.version)
            }
        };
        let mut tried = Vec::new();
        if let Some(exports) = manifest.and_then(|m| m.get("exports")) {
            return match resolve_exports(exports, subpath, conditions)
                .map_err(|e| format!("`{spec}`: {label}: {e}"))?
            {
                Target::Path(p) => {
                    let path = normalize(&p).unwrap_or_default();
                    if self.files(pkg).contains_key(&path) {
                        Ok(Resolved::File((pkg, path)))
                    } else {
                        Err(format!(
                            "`{spec}`: {label} exports {p}, but the package has no such file"
                        ))
                    }
                }
                Target::NotExported => Err(format!(
                    "`{spec}`: {label} does not export {subpath:?} for the conditions {}",
                    conditions.join(", ")
                )),
            };
        }
        if subpath == "." {
            for field in ["browser", "module", "main"] {
                if let Some(entry) = manifest.and_then(|m| m.get_str(field)) {
                    if let Some(base) = normalize(entry) {
                        if let Some(found) = self.probe(pkg, &base, &mut tried) {
                            return Ok(Resolved::File((pkg, found)));
                        }
                    }
                }
            }
            if let Some(found) = self.probe(pkg, "index", &mut tried) {
                return Ok(Resolved::File((pkg, found)));
            }
        } else if let Some(base) = normalize(&subpath[2..]) {
            if let Some(found) = self.probe(pkg, &base, &mut tried) {
                return Ok(Resolved::File((pkg, found)));
            }
        }
        Err(format!(
            "module not found: `{spec}` in {label} (tried {})",
            tried.join(", ")
        ))
    }

    fn prepare(&self, id: &FileId) -> Result<Prepared, BundleError> {
        let bytes = &self.files(id.0)[&id.1];
        let name = self.describe(id);
        let kind = kind_of(&id.1);
        if kind != Kind::Esm {
            return Ok(Prepared {
                kind,
                code: bytes.clone(),
                links: Vec::new(),
                cjs_exports: Vec::new(),
                cjs_reexports: Vec::new(),
                named_imports: Vec::new(),
            });
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| invalid(format!("{name} is not UTF-8")))?;
        let lower = id.1.to_ascii_lowercase();
        let (code, syntax) = if source::needs_transform(&lower) {
            let js = source::strip_types(&name, text, self.input.jsx).map_err(invalid)?;
            let syntax = if lower.ends_with(".cts") {
                Syntax::CommonJs
            } else {
                Syntax::Unambiguous
            };
            (js, syntax)
        } else {
            let type_module = self.manifest(id.0).and_then(|m| m.get_str("type")) == Some("module");
            let syntax = if lower.ends_with(".mjs") {
                Syntax::Module
            } else if lower.ends_with(".cjs") {
                Syntax::CommonJs
            } else if type_module && id.0 == Owner::Root {
                Syntax::Module
            } else {
                Syntax::Unambiguous
            };
            (text.to_string(), syntax)
        };
        let analysis = source::analyze(&name, &code, syntax).map_err(invalid)?;
        let cjs = !analysis.esm
            && (syntax == Syntax::CommonJs || id.0 != Owner::Root || looks_commonjs(&code));
        let mut links = Vec::new();
        for s in analysis.specifiers {
            if s.request == Request::Require && !cjs {
                continue;
            }
            match self.resolve(id, &s.value, s.request == Request::Require) {
                Ok(r) => links.push((s, Some(r), String::new())),
                Err(e) => {
                    // A static import that cannot resolve is an error now; a `require` or a
                    // dynamic import in a package fails only if it runs (as in Node).
                    if s.request == Request::Static || id.0 == Owner::Root {
                        return Err(invalid(format!(
                            "{}: {e}",
                            source::location(&name, &code, s.start)
                        )));
                    }
                    links.push((s, None, e));
                }
            }
        }
        let mut cjs_reexports = Vec::new();
        for r in &analysis.cjs_reexports {
            if let Ok(res) = self.resolve(id, r, true) {
                cjs_reexports.push(res);
            }
        }
        Ok(Prepared {
            kind: if cjs { Kind::Cjs } else { Kind::Esm },
            code: code.into_bytes(),
            links,
            cjs_exports: analysis.cjs_exports,
            named_imports: analysis.named_imports,
            cjs_reexports,
        })
    }
}

/// A script without `import`/`export` in the worker's own files is CommonJS only if it uses
/// `require`/`module.exports`/`exports.`; else it is a plain module.
fn looks_commonjs(code: &str) -> bool {
    code.contains("require(") || code.contains("module.exports") || code.contains("exports.")
}

fn module_name(install: &Install, id: &FileId) -> String {
    match id.0 {
        Owner::Root => id.1.clone(),
        Owner::Pkg(i) => {
            let p = &install.packages[i];
            format!("node_modules/{}@{}/{}", p.name, p.version, id.1)
        }
    }
}

fn js_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Link the worker's files from `main`: every module reachable from it (and every code file of
/// the worker itself), resolved and rewritten.
pub fn link(input: &LinkInput<'_>) -> Result<Linked, BundleError> {
    let mut linker = Linker {
        input,
        done: BTreeMap::new(),
    };
    let main_id: FileId = (Owner::Root, input.main.to_string());
    if !input.files.contains_key(input.main) {
        return Err(invalid(format!(
            "the main module `{}` is not among the files",
            input.main
        )));
    }
    let mut queue: VecDeque<FileId> = VecDeque::new();
    queue.push_back(main_id.clone());
    for path in input.files.keys() {
        let lower = path.to_ascii_lowercase();
        if kind_of(path) == Kind::Esm
            && !source::is_declaration(&lower)
            && !path.starts_with("node_modules/")
        {
            queue.push_back((Owner::Root, path.clone()));
        }
    }
    // Named imports each CommonJS file must offer.
    let mut wanted_names: HashMap<FileId, BTreeSet<String>> = HashMap::new();
    while let Some(id) = queue.pop_front() {
        if linker.done.contains_key(&id) {
            continue;
        }
        if std::time::Instant::now() > input.deadline {
            return Err(BundleError::new(
                ErrorKind::Timeout,
                "linking took longer than the bundle time limit",
            ));
        }
        let prepared = linker.prepare(&id)?;
        for (s, r, _) in &prepared.links {
            if let Some(Resolved::File(f)) = r {
                queue.push_back(f.clone());
                let _ = s;
            }
        }
        for r in &prepared.cjs_reexports {
            if let Resolved::File(f) = r {
                queue.push_back(f.clone());
            }
        }
        linker.done.insert(id, prepared);
    }
    // What each ES module asks of the CommonJS ones it imports.
    for p in linker.done.values() {
        if p.kind != Kind::Esm {
            continue;
        }
        if std::time::Instant::now() > input.deadline {
            return Err(BundleError::new(
                ErrorKind::Timeout,
                "linking took longer than the bundle time limit",
            ));
        }
        let targets: HashMap<&str, &FileId> = p
            .links
            .iter()
            .filter_map(|(s, r, _)| match r {
                Some(Resolved::File(f)) => Some((s.value.as_str(), f)),
                _ => None,
            })
            .collect();
        for (spec, name) in &p.named_imports {
            if let Some(f) = targets.get(spec.as_str()) {
                wanted_names
                    .entry((*f).clone())
                    .or_default()
                    .insert(name.clone());
            }
        }
    }
    let install = input.install;
    let mut modules = Vec::new();
    let import_key = |id: &FileId, done: &BTreeMap<FileId, Prepared>| -> String {
        let name = module_name(install, id);
        match done.get(id).map(|p| p.kind) {
            Some(Kind::Cjs) => format!("{name}?esm"),
            _ => name,
        }
    };
    for (id, p) in &linker.done {
        if std::time::Instant::now() > input.deadline {
            return Err(BundleError::new(
                ErrorKind::Timeout,
                "linking took longer than the bundle time limit",
            ));
        }
        let name = module_name(install, id);
        match p.kind {
            Kind::Json => modules.push((
                name,
                ModuleContent::Json(String::from_utf8_lossy(&p.code).into_owned()),
            )),
            Kind::Text => modules.push((
                name,
                ModuleContent::Text(String::from_utf8_lossy(&p.code).into_owned()),
            )),
            Kind::Data => modules.push((name, ModuleContent::Data(p.code.clone()))),
            Kind::Esm => {
                let code = std::str::from_utf8(&p.code).unwrap_or("");
                let mut out = String::with_capacity(code.len() + 64);
                let mut at = 0usize;
                for (s, r, _) in &p.links {
                    let Some(r) = r else { continue };
                    if s.request == Request::Require {
                        continue;
                    }
                    let key = match r {
                        Resolved::File(f) => import_key(f, &linker.done),
                        Resolved::Builtin(b) => b.clone(),
                    };
                    out.push_str(&code[at..s.start as usize]);
                    out.push_str(&js_string(&key));
                    at = s.end as usize;
                }
                out.push_str(&code[at..]);
                modules.push((name, ModuleContent::Js(out)));
            }
            Kind::Cjs => {
                let (definition, facade) = commonjs_modules(&linker, id, p, wanted_names.get(id));
                modules.push((name.clone(), ModuleContent::Js(definition)));
                modules.push((format!("{name}?esm"), ModuleContent::Js(facade)));
            }
        }
    }
    let main_module = import_key(&main_id, &linker.done);
    Ok(Linked {
        main_module,
        modules,
    })
}

/// The two modules of a CommonJS file: its definition (imports of what it may require, then its
/// body in a function run once on first `require`) and the ES facade `import` sees.
fn commonjs_modules(
    linker: &Linker<'_>,
    id: &FileId,
    p: &Prepared,
    wanted: Option<&BTreeSet<String>>,
) -> (String, String) {
    let install = linker.input.install;
    let name = module_name(install, id);
    let mut head = String::new();
    let mut cases = String::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for (n, (s, r, e)) in p.links.iter().enumerate() {
        if s.request != Request::Require || seen.insert(s.value.clone(), ()).is_some() {
            continue;
        }
        let getter = match r {
            None => format!("throw __missing({})", js_string(e)),
            Some(Resolved::Builtin(b)) => {
                let _ = write!(head, "import * as __r{n} from {};", js_string(b));
                format!("return __r{n}.default")
            }
            Some(Resolved::File(f)) => {
                let target = module_name(install, f);
                match linker.done.get(f).map(|t| t.kind) {
                    Some(Kind::Cjs) => {
                        let _ = write!(
                            head,
                            "import {{ __cjs as __r{n} }} from {};",
                            js_string(&target)
                        );
                        format!("return __r{n}()")
                    }
                    Some(Kind::Esm) => {
                        let _ = write!(head, "import * as __r{n} from {};", js_string(&target));
                        format!("return __r{n}")
                    }
                    _ => {
                        let _ = write!(head, "import __r{n} from {};", js_string(&target));
                        format!("return __r{n}")
                    }
                }
            }
        };
        let _ = write!(cases, "case {}: {getter};", js_string(&s.value));
    }
    let filename = js_string(&format!("/{name}"));
    let dirname = js_string(&format!("/{}", dir_of(&name)));
    let body = String::from_utf8_lossy(&p.code);
    // Everything before the body stays on its first line, so its line numbers are the file's.
    let definition = format!(
        "{head}var __mod;\
export function __cjs() {{ if (__mod === undefined) {{ __mod = {{ exports: {{}}, id: {filename}, filename: {filename}, loaded: false, require: __require }}; \
try {{ __body.call(__mod.exports, __mod, __mod.exports, __require, {filename}, {dirname}, globalThis); }} catch (e) {{ const m = __mod; __mod = undefined; m.exports = undefined; throw e; }} __mod.loaded = true; }} return __mod.exports; }}\
function __missing(m) {{ const e = new Error(\"Cannot find module: \" + m); e.code = \"MODULE_NOT_FOUND\"; return e; }}\
function __require(s) {{ switch (s) {{ {cases} }} throw __missing(\"`\" + s + \"` from \" + {filename_plain} + \" (only literal require() calls are linked)\"); }}\
__require.resolve = (s) => s; __require.cache = {{}};\
function __body(module, exports, require, __filename, __dirname, global) {{{body}\n}}\n",
        filename_plain = js_string(&name),
    );
    let mut names: BTreeSet<String> = p.cjs_exports.iter().cloned().collect();
    for r in &p.cjs_reexports {
        if let Resolved::File(f) = r {
            if let Some(t) = linker.done.get(f) {
                names.extend(t.cjs_exports.iter().cloned());
            }
        }
    }
    if let Some(w) = wanted {
        names.extend(w.iter().cloned());
    }
    let mut facade = format!(
        "import {{ __cjs }} from {};\nconst __m = __cjs();\nexport default (__m !== null && typeof __m === \"object\" && __m.__esModule && \"default\" in __m) ? __m.default : __m;\n",
        js_string(&name)
    );
    let mut exported = Vec::new();
    for (i, n) in names
        .iter()
        .filter(|n| *n != "default" && is_identifier(n))
        .enumerate()
    {
        let _ = writeln!(
            facade,
            "const __e{i} = __m == null ? undefined : __m[{}];",
            js_string(n)
        );
        exported.push(format!("__e{i} as {n}"));
    }
    if !exported.is_empty() {
        let _ = writeln!(facade, "export {{ {} }};", exported.join(", "));
    }
    (definition, facade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_specifiers_split() {
        assert_eq!(split_package("hono").unwrap(), ("hono", ".".to_string()));
        assert_eq!(
            split_package("hono/jsx/dom").unwrap(),
            ("hono", "./jsx/dom".to_string())
        );
        assert_eq!(
            split_package("@scope/p").unwrap(),
            ("@scope/p", ".".to_string())
        );
        assert_eq!(
            split_package("@scope/p/x.js").unwrap(),
            ("@scope/p", "./x.js".to_string())
        );
        assert!(split_package("@scope").is_none());
    }

    #[test]
    fn paths_never_climb_out() {
        assert_eq!(normalize("src/./a/../b.js").unwrap(), "src/b.js");
        assert!(normalize("src/../../x").is_none());
    }

    #[test]
    fn node_module_list_matches_the_guest() {
        let guest = include_str!("../../../guest-js/src/builtins.rs");
        let mut listed: Vec<&str> = guest
            .lines()
            .filter_map(|l| l.trim().strip_prefix("name: \"node:"))
            .filter_map(|l| l.strip_suffix("\","))
            .collect();
        listed.push("path/posix");
        listed.sort();
        let mut ours = RUNTIME_NODE_MODULES.to_vec();
        ours.sort();
        assert_eq!(listed, ours);
    }
}
