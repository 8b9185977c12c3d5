//! Built-in code compiled on first use: the `node:` modules and the larger Web APIs.
//!
//! Each entry is one file under `js/` holding a factory, `(function (internals) { ... return
//! exports; })`. Nothing of it is in the snapshot: the prelude asks for a factory the first time
//! a script imports the module or touches the global (`native.builtin(name)`), runs it once with
//! the prelude's internals, and keeps the exports. A script that never uses them pays nothing,
//! in start time or in memory.

/// One built-in: its name (`node:buffer`, or `web:...` for the lazily defined globals) and the
/// JS source of its factory.
pub struct Builtin {
    pub name: &'static str,
    pub source: &'static str,
}

/// Every built-in, in one list.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "node:assert",
        source: include_str!("js/node/assert.js"),
    },
    Builtin {
        name: "node:assert/strict",
        source: include_str!("js/node/assert_strict.js"),
    },
    Builtin {
        name: "node:async_hooks",
        source: include_str!("js/node/async_hooks.js"),
    },
    Builtin {
        name: "node:buffer",
        source: include_str!("js/node/buffer.js"),
    },
    Builtin {
        name: "node:crypto",
        source: include_str!("js/node/crypto.js"),
    },
    Builtin {
        name: "node:events",
        source: include_str!("js/node/events.js"),
    },
    Builtin {
        name: "node:path",
        source: include_str!("js/node/path.js"),
    },
    Builtin {
        name: "node:process",
        source: include_str!("js/node/process.js"),
    },
    Builtin {
        name: "node:stream",
        source: include_str!("js/node/stream.js"),
    },
    Builtin {
        name: "node:stream/promises",
        source: include_str!("js/node/stream_promises.js"),
    },
    Builtin {
        name: "node:stream/web",
        source: include_str!("js/node/stream_web.js"),
    },
    Builtin {
        name: "node:string_decoder",
        source: include_str!("js/node/string_decoder.js"),
    },
    Builtin {
        name: "node:url",
        source: include_str!("js/node/url.js"),
    },
    Builtin {
        name: "node:util",
        source: include_str!("js/node/util.js"),
    },
    Builtin {
        name: "web:events",
        source: include_str!("js/events_full.js"),
    },
    Builtin {
        name: "web:formdata",
        source: include_str!("js/formdata.js"),
    },
    Builtin {
        name: "web:streams",
        source: include_str!("js/streams_full.js"),
    },
    Builtin {
        name: "web:subtle",
        source: include_str!("js/subtle.js"),
    },
    Builtin {
        name: "web:urlpattern",
        source: include_str!("js/urlpattern.js"),
    },
];

/// The built-in a module specifier names: `node:x`, or the bare `x` that Workers also accepts
/// (`buffer`, `crypto`, ...; only when the worker has no module of that name itself).
pub fn module(specifier: &str) -> Option<&'static str> {
    let name = if specifier.starts_with("node:") {
        specifier.to_owned()
    } else {
        format!("node:{specifier}")
    };
    let name = match name.as_str() {
        "node:path/posix" => "node:path",
        other => other,
    };
    BUILTINS
        .iter()
        .find(|b| b.name == name && b.name.starts_with("node:"))
        .map(|b| b.name)
}

/// The `node:` modules there are, for the error that names a missing one.
pub fn node_modules() -> String {
    BUILTINS
        .iter()
        .filter(|b| b.name.starts_with("node:"))
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The factory source of built-in `name`.
pub fn source(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|b| b.name == name).map(|b| b.source)
}
