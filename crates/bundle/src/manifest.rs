//! `package.json`, read with its key order kept (the order of an `exports` conditions object is
//! its meaning), and the `exports` / `imports` maps resolved as Node resolves them.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number (kept as text: package.json numbers are never used).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in source order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parse JSON text.
    pub fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// `key`'s value if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    /// The (key, string value) entries of object `key` (dependencies maps).
    pub fn string_map(&self, key: &str) -> Vec<(String, String)> {
        match self.get(key) {
            Some(Json::Object(entries)) => entries
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
                Ok(Json::Number(n.to_string()))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Json::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut out: Vec<(String, Json)> = Vec::new();
                // Key → position, so that a repeated key is found in constant time (a
                // package.json with many keys must not cost quadratic time).
                let mut index: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    // A repeated key: the last one wins, in the first one's place (as JSON.parse).
                    match index.get(&k) {
                        Some(&at) => out[at].1 = v,
                        None => {
                            index.insert(k.clone(), out.len());
                            out.push((k, v));
                        }
                    }
                }
                Ok(Json::Object(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// What an `exports` / `imports` lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path inside the package (`./dist/index.js`), or for `imports` possibly a bare
    /// specifier to resolve as a package.
    Path(String),
    /// No entry matches, or the matching entry is `null` for these conditions.
    NotExported,
}

/// Resolve `subpath` (`.` or `./x`) through a package's `exports` value under `conditions`
/// (checked in the object's own key order; `default` always matches), as Node's
/// PACKAGE_EXPORTS_RESOLVE does. An invalid map or target is an `Err`.
pub fn resolve_exports(
    exports: &Json,
    subpath: &str,
    conditions: &[&str],
) -> Result<Target, String> {
    let is_subpath_map = match exports {
        Json::Object(entries) => {
            let dotted = entries.iter().filter(|(k, _)| k.starts_with('.')).count();
            if dotted != 0 && dotted != entries.len() {
                return Err(
                    "its \"exports\" mixes subpaths (\"./x\") with conditions; Node refuses that"
                        .into(),
                );
            }
            dotted != 0
        }
        _ => false,
    };
    if !is_subpath_map {
        if subpath != "." {
            return Ok(Target::NotExported);
        }
        return target_resolve(exports, None, conditions, false);
    }
    let Json::Object(entries) = exports else {
        unreachable!("checked above")
    };
    map_resolve(entries, subpath, conditions, false)
}

/// Resolve `#specifier` through a package's `imports` value, as Node's PACKAGE_IMPORTS_RESOLVE.
pub fn resolve_imports(
    imports: &Json,
    specifier: &str,
    conditions: &[&str],
) -> Result<Target, String> {
    match imports {
        Json::Object(entries) => map_resolve(entries, specifier, conditions, true),
        _ => Ok(Target::NotExported),
    }
}

fn map_resolve(
    entries: &[(String, Json)],
    key: &str,
    conditions: &[&str],
    imports: bool,
) -> Result<Target, String> {
    if !key.contains('*') {
        if let Some((_, target)) = entries.iter().find(|(k, _)| k == key) {
            return target_resolve(target, None, conditions, imports);
        }
    }
    // Pattern keys with one `*`: the longest prefix wins (PATTERN_KEY_COMPARE).
    let mut best: Option<(&str, &Json, String)> = None;
    for (pattern, target) in entries {
        let Some(star) = pattern.find('*') else {
            continue;
        };
        if pattern[star + 1..].contains('*') {
            continue;
        }
        let (prefix, suffix) = (&pattern[..star], &pattern[star + 1..]);
        if key.len() >= pattern.len() - 1
            && key.starts_with(prefix)
            && key.ends_with(suffix)
            && key != prefix
        {
            let matched = key[prefix.len()..key.len() - suffix.len()].to_string();
            let better = match &best {
                None => true,
                Some((b, _, _)) => pattern_key_compare(b, pattern),
            };
            if better {
                best = Some((pattern, target, matched));
            }
        }
    }
    match best {
        Some((_, target, matched)) => target_resolve(target, Some(&matched), conditions, imports),
        None => Ok(Target::NotExported),
    }
}

/// Whether pattern `b` sorts after `a` (so `b` is the better match), by Node's
/// PATTERN_KEY_COMPARE: the longer prefix before `*` first, then the longer key.
fn pattern_key_compare(a: &str, b: &str) -> bool {
    let base_a = a.find('*').map_or(a.len(), |i| i + 1);
    let base_b = b.find('*').map_or(b.len(), |i| i + 1);
    if base_b != base_a {
        return base_b > base_a;
    }
    b.len() > a.len()
}

fn target_resolve(
    target: &Json,
    pattern: Option<&str>,
    conditions: &[&str],
    imports: bool,
) -> Result<Target, String> {
    match target {
        Json::String(t) => {
            if !t.starts_with("./") {
                if imports && !t.starts_with("../") && !t.starts_with('/') && !t.contains(':') {
                    // A bare specifier in `imports`: a package (or built-in) to resolve.
                    let resolved = match pattern {
                        Some(m) => t.replace('*', m),
                        None => t.clone(),
                    };
                    return Ok(Target::Path(resolved));
                }
                return Err(format!(
                    "its export target {t:?} is invalid (targets start with \"./\")"
                ));
            }
            let resolved = match pattern {
                Some(m) => {
                    if m.split(['/', '\\'])
                        .any(|seg| seg == ".." || seg == "." || seg == "node_modules")
                    {
                        return Err(format!("the subpath {m:?} is not a valid match"));
                    }
                    t.replace('*', m)
                }
                None => t.clone(),
            };
            if resolved[2..]
                .split(['/', '\\'])
                .any(|seg| seg == ".." || seg == "node_modules")
            {
                return Err(format!("its export target {resolved:?} leaves the package"));
            }
            Ok(Target::Path(resolved))
        }
        Json::Array(items) => {
            let mut last_err = None;
            for item in items {
                match target_resolve(item, pattern, conditions, imports) {
                    Ok(Target::Path(p)) => return Ok(Target::Path(p)),
                    Ok(Target::NotExported) => continue,
                    Err(e) => last_err = Some(e),
                }
            }
            match last_err {
                Some(e) => Err(e),
                None => Ok(Target::NotExported),
            }
        }
        Json::Object(entries) => {
            for (condition, value) in entries {
                if condition == "default" || conditions.contains(&condition.as_str()) {
                    match target_resolve(value, pattern, conditions, imports)? {
                        Target::Path(p) => return Ok(Target::Path(p)),
                        Target::NotExported => continue,
                    }
                }
            }
            Ok(Target::NotExported)
        }
        Json::Null => Ok(Target::NotExported),
        _ => Err("its export target is neither a string, an array, an object nor null".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORT: &[&str] = &["workerd", "worker", "browser", "import", "module"];
    const REQUIRE: &[&str] = &["workerd", "worker", "browser", "require", "module"];

    fn path(s: &str) -> Target {
        Target::Path(s.into())
    }

    #[test]
    fn key_order_is_kept_and_decides_the_condition() {
        let j = Json::parse(r#"{"exports": {".": {"node": "./n.js", "require": "./c.cjs", "import": "./e.mjs", "default": "./d.js"}}}"#).unwrap();
        let e = j.get("exports").unwrap();
        assert_eq!(resolve_exports(e, ".", IMPORT).unwrap(), path("./e.mjs"));
        assert_eq!(resolve_exports(e, ".", REQUIRE).unwrap(), path("./c.cjs"));
        let j = Json::parse(r#"{".": {"default": "./d.js", "import": "./e.mjs"}}"#).unwrap();
        assert_eq!(resolve_exports(&j, ".", IMPORT).unwrap(), path("./d.js"));
        let j = Json::parse(
            r#"{".": {"workerd": "./w.js", "browser": "./b.js", "default": "./d.js"}}"#,
        )
        .unwrap();
        assert_eq!(resolve_exports(&j, ".", IMPORT).unwrap(), path("./w.js"));
    }

    #[test]
    fn sugar_subpaths_patterns_and_nulls() {
        assert_eq!(
            resolve_exports(&Json::String("./i.js".into()), ".", IMPORT).unwrap(),
            path("./i.js")
        );
        assert_eq!(
            resolve_exports(&Json::String("./i.js".into()), "./x", IMPORT).unwrap(),
            Target::NotExported
        );
        let j = Json::parse(
            r#"{".": "./index.js", "./utils/*": {"import": "./dist/utils/*.mjs"}, "./utils/private/*": null, "./package.json": "./package.json", "./features/*.js": "./src/features/*.js"}"#,
        )
        .unwrap();
        assert_eq!(
            resolve_exports(&j, "./utils/a/b", IMPORT).unwrap(),
            path("./dist/utils/a/b.mjs")
        );
        assert_eq!(
            resolve_exports(&j, "./utils/private/x", IMPORT).unwrap(),
            Target::NotExported
        );
        assert_eq!(
            resolve_exports(&j, "./features/x.js", IMPORT).unwrap(),
            path("./src/features/x.js")
        );
        assert_eq!(
            resolve_exports(&j, "./nope", IMPORT).unwrap(),
            Target::NotExported
        );
        assert!(resolve_exports(&j, "./utils/../../etc", IMPORT).is_err());
        let arr = Json::parse(r#"{".": [{"worker": "./w.js"}, "./fallback.js"]}"#).unwrap();
        assert_eq!(
            resolve_exports(&arr, ".", &["import"]).unwrap(),
            path("./fallback.js")
        );
    }

    #[test]
    fn many_keys_parse_in_linear_time_and_repeats_keep_the_last() {
        let big = format!(
            "{{{}}}",
            (0..200_000)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        // (Quadratic, this took minutes: a 1.3 MB package.json froze the daemon for 18 s.)
        let j = Json::parse(&big).unwrap();
        assert!(matches!(&j, Json::Object(e) if e.len() == 200_000));
        let j = Json::parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(
            j,
            Json::Object(vec![
                ("a".into(), Json::Number("3".into())),
                ("b".into(), Json::Number("2".into()))
            ])
        );
    }

    #[test]
    fn invalid_maps_and_targets_are_errors() {
        let mixed = Json::parse(r#"{".": "./a.js", "import": "./b.js"}"#).unwrap();
        assert!(resolve_exports(&mixed, ".", IMPORT).is_err());
        let outside = Json::parse(r#"{".": "../outside.js"}"#).unwrap();
        assert!(resolve_exports(&outside, ".", IMPORT).is_err());
        let nm = Json::parse(r#"{".": "./node_modules/x/index.js"}"#).unwrap();
        assert!(resolve_exports(&nm, ".", IMPORT).is_err());
    }

    #[test]
    fn imports_maps_allow_packages() {
        let j = Json::parse(r##"{"#dep": {"worker": "dep-worker", "default": "dep"}, "#internal/*": "./src/internal/*.js"}"##).unwrap();
        assert_eq!(
            resolve_imports(&j, "#dep", IMPORT).unwrap(),
            path("dep-worker")
        );
        assert_eq!(
            resolve_imports(&j, "#internal/x", IMPORT).unwrap(),
            path("./src/internal/x.js")
        );
        assert_eq!(
            resolve_imports(&j, "#missing", IMPORT).unwrap(),
            Target::NotExported
        );
    }
}
