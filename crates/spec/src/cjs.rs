//! CommonJS modules (`{"cjs": "..."}`, or a string module named `*.cjs`), as Cloudflare's Worker
//! Loader takes them: turned on the host into an ES module the engine loads like any other.
//!
//! The module's source runs once, inside a function given `exports`, `require`, `module`,
//! `__filename` and `__dirname` (`this` is `module.exports`), and the ES module's default export
//! is `module.exports` — so a CommonJS main module exports its handler with
//! `module.exports = { fetch(request, env) { ... } }`, and `import x from "./lib.cjs"` gets the
//! helper's `module.exports`.
//!
//! `require(id)` is synchronous, so what it can return is known before the module runs: each
//! `require("<literal>")` in the source that names another module of the worker (resolved like an
//! `import` from this module) becomes a static import of it — a CommonJS dependency gives its
//! `module.exports`, a JSON module its value, a text or data module its text or bytes, an ES
//! module its namespace. `require` of a `node:` built-in (`"buffer"` or
//! `"node:buffer"`) and of `cloudflare:workers` works too; anything else throws Node's
//! `Cannot find module` error when called. The source runs in strict mode (it is inside an ES
//! module); it starts on the wrapper's first line, so line numbers in stack traces are the
//! source's own.

use crate::js::string_literal;

/// Most `require("...")` specifiers one module may have imported statically.
pub const MAX_REQUIRES: usize = 4096;

/// What `require` of another module of the worker returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// Its default export: `module.exports` of a CommonJS module, the value of a JSON module,
    /// the text of a text module, the `ArrayBuffer` of a data module.
    Default,
    /// Its namespace (an ES module), as Node's `require(esm)`.
    Namespace,
}

/// The ES module that runs CommonJS `source` as module `name`. `lookup(resolved)` says whether
/// the worker has a module of that name, and what requiring it returns.
pub fn to_es_module(name: &str, source: &str, lookup: &dyn Fn(&str) -> Option<Required>) -> String {
    let mut imports = String::new();
    let mut deps = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for spec in require_specifiers(source) {
        if seen.len() >= MAX_REQUIRES || !seen.insert(spec.clone()) {
            continue;
        }
        let resolved = normalize(name, &spec);
        let Some(required) = lookup(&resolved) else {
            continue;
        };
        let i = seen.len() - 1;
        let literal = string_literal(&spec);
        imports.push_str(&format!("import * as __cjs_dep{i} from {literal}; "));
        let value = if required == Required::Default {
            format!("__cjs_dep{i}.default")
        } else {
            format!("__cjs_dep{i}")
        };
        deps.push_str(&format!("[{literal}, () => {value}], "));
    }
    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
    format!(
        "{imports}const __cjs_deps = new Map([{deps}]); \
         const __cjs_internals = globalThis[Symbol.for(\"sandbox.internals\")]; \
         const module = {{ exports: {{}} }}; \
         const require = (id) => {{ \
           id = String(id); \
           const dep = __cjs_deps.get(id); \
           if (dep !== undefined) return dep(); \
           if (id === \"cloudflare:workers\") return {{ WorkerEntrypoint: __cjs_internals.WorkerEntrypoint, RpcTarget: __cjs_internals.RpcTarget }}; \
           if (id.startsWith(\"node:\") || !id.includes(\":\")) {{ \
             let m; try {{ m = __cjs_internals.builtin(id.startsWith(\"node:\") ? id : \"node:\" + id); }} catch {{}} \
             if (m !== undefined && m !== null) return Object.prototype.hasOwnProperty.call(m, \"default\") ? m.default : m; \
           }} \
           const e = new Error(`Cannot find module '${{id}}' from '` + {name_lit} + \"'\"); e.code = \"MODULE_NOT_FOUND\"; throw e; \
         }}; \
         (function (exports, require, module, __filename, __dirname) {{{source}\n}}).call(module.exports, module.exports, require, module, {file_lit}, {dir_lit});\n\
         export default module.exports;\n",
        name_lit = string_literal(name),
        file_lit = string_literal(&format!("/{name}")),
        dir_lit = string_literal(&format!("/{dir}")),
    )
}

/// Resolve `spec` imported from module `base` as the engine does (QuickJS's default module
/// normalizer): a specifier not starting with `.` is taken as it is; `./` and `../` walk from
/// `base`'s directory.
pub fn normalize(base: &str, spec: &str) -> String {
    if !spec.starts_with('.') {
        return spec.to_string();
    }
    let mut dir: String = base.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let mut rest = spec;
    loop {
        if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("../") {
            if dir.is_empty() {
                break;
            }
            let last = dir.rsplit_once('/').map_or(dir.as_str(), |(_, l)| l);
            if last == "." || last == ".." {
                break;
            }
            let cut = dir.rfind('/').unwrap_or(0);
            dir.truncate(cut);
            rest = r;
        } else {
            break;
        }
    }
    if dir.is_empty() {
        rest.to_string()
    } else {
        format!("{dir}/{rest}")
    }
}

/// The string-literal specifiers of `require("...")` / `require('...')` calls in `source` (a
/// scan, not a parse: one in a comment or a string counts too; those that name no module of the
/// worker are left out).
pub fn require_specifiers(source: &str) -> Vec<String> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = source[from..].find("require") {
        let start = from + at;
        from = start + "require".len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if matches!(before, Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.')
        {
            continue;
        }
        let mut i = from;
        let skip_ws = |i: &mut usize| {
            while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
                *i += 1;
            }
        };
        skip_ws(&mut i);
        if bytes.get(i) != Some(&b'(') {
            continue;
        }
        i += 1;
        skip_ws(&mut i);
        let Some(&quote) = bytes.get(i).filter(|q| **q == b'"' || **q == b'\'') else {
            continue;
        };
        i += 1;
        let Some(len) = source[i..].find([quote as char, '\\', '\n']) else {
            continue;
        };
        if bytes[i + len] != quote {
            continue;
        }
        let spec = &source[i..i + len];
        i += len + 1;
        skip_ws(&mut i);
        if bytes.get(i) == Some(&b')') && !spec.is_empty() {
            out.push(spec.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_follows_the_engine() {
        assert_eq!(normalize("worker.js", "./lib.js"), "lib.js");
        assert_eq!(normalize("a/b/c.js", "./d.js"), "a/b/d.js");
        assert_eq!(normalize("a/b/c.js", "../d.js"), "a/d.js");
        assert_eq!(normalize("a/b/c.js", "../../d.js"), "d.js");
        assert_eq!(normalize("c.js", "../d.js"), "../d.js");
        assert_eq!(normalize("a/c.js", "node:buffer"), "node:buffer");
        assert_eq!(normalize("a/c.js", "lib.js"), "lib.js");
    }

    #[test]
    fn require_calls_are_found_and_lookalikes_are_not() {
        let src = r#"const a = require("./a.js"); const b = require ( './b.cjs' );
            x.require("./no.js"); myrequire("./no2.js"); require(name); require("bad\"q");
            require("./c.js", 1); /* require("./d.js") */ require(`./e.js`);"#;
        assert_eq!(require_specifiers(src), ["./a.js", "./b.cjs", "./d.js"]);
    }

    #[test]
    fn hostile_specifiers_and_names_stay_string_literals() {
        let src = r#"require("./x\"; globalThis.pwned = 1; //.js")"#;
        let lookup = |_: &str| Some(Required::Namespace);
        let out = to_es_module("we\"ird\n.cjs", src, &lookup);
        // The scan stops at the backslash: nothing is imported, and the names are escaped.
        assert!(!out.contains("import * as"));
        assert!(out.contains(r#"+ "we\"ird\n.cjs" +"#), "{out}");
        let src = "require('./a\"b.js')";
        let out = to_es_module("m.cjs", src, &lookup);
        assert!(
            out.starts_with(r#"import * as __cjs_dep0 from "./a\"b.js"; "#),
            "{out}"
        );
    }

    #[test]
    fn only_modules_of_the_worker_are_imported() {
        let src = "require('./lib.cjs'); require('./esm.js'); require('buffer'); require('./missing.js');";
        let lookup = |n: &str| match n {
            "dir/lib.cjs" => Some(Required::Default),
            "dir/esm.js" => Some(Required::Namespace),
            _ => None,
        };
        let out = to_es_module("dir/main.cjs", src, &lookup);
        assert!(out.contains(r#"import * as __cjs_dep0 from "./lib.cjs";"#));
        assert!(out.contains(r#"import * as __cjs_dep1 from "./esm.js";"#));
        assert!(out.contains(r#"["./lib.cjs", () => __cjs_dep0.default]"#));
        assert!(out.contains(r#"["./esm.js", () => __cjs_dep1]"#));
        assert!(!out.contains("missing.js\";"));
        assert_eq!(out.matches("import * as").count(), 2);
        assert!(out.contains(r#""/dir/main.cjs", "/dir")"#));
    }
}
