//! The daemon's OpenAPI description (`docs/openapi.json`) as the tests read it: its operations,
//! the response each status and media type documents, and a JSON Schema validator for the
//! subset of JSON Schema 2020-12 the document uses.
//!
//! The validator refuses any keyword it does not implement (an annotation like `description`
//! aside), so the document cannot grow a constraint that the check silently skips.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

/// The methods an OpenAPI path item may hold.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keywords that only annotate: accepted and not checked.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "summary",
    "format",
    "contentEncoding",
    "contentMediaType",
    "examples",
    "example",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
];

/// The document and what the tests need of it.
pub struct OpenApi {
    /// The whole document.
    pub doc: Value,
}

impl OpenApi {
    /// `docs/openapi.json` of this checkout.
    pub fn load() -> OpenApi {
        let path = Self::path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        OpenApi {
            doc: serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
        }
    }

    /// Where the document is.
    pub fn path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
    }

    /// Every documented operation, as `(path template, method)`.
    pub fn operations(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for m in METHODS {
                if item.get(*m).is_some() {
                    out.insert((path.clone(), (*m).to_owned()));
                }
            }
        }
        out
    }

    /// The operation object.
    pub fn operation(&self, path: &str, method: &str) -> &Value {
        let op = &self.doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        op
    }

    /// Follow `$ref`s (local ones: `#/...`) until a value that is not one.
    pub fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => v = self.pointer(r),
                None => return v,
            }
        }
        panic!("a $ref cycle");
    }

    /// The value a local reference names.
    pub fn pointer(&self, reference: &str) -> &Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local references: {reference}"));
        self.doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} names nothing"))
    }

    /// Every `$ref` in the document (each must name something).
    pub fn references(&self) -> Vec<String> {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::String(r)) = o.get("$ref") {
                        out.push(r.clone());
                    }
                    o.values().for_each(|v| walk(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.doc, &mut out);
        out
    }

    /// The documented response of `method path` for `status`: its own entry, else `default`.
    pub fn response(&self, path: &str, method: &str, status: u16) -> Result<&Value, String> {
        let responses = &self.operation(path, method)["responses"];
        let r = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))
            .ok_or_else(|| format!("{method} {path}: status {status} is not documented"))?;
        Ok(self.resolve(r))
    }

    /// The media type object for `content_type` (parameters ignored) in a response or request
    /// body: exact, then `type/*`, then `*/*`.
    pub fn media<'a>(&'a self, holder: &'a Value, content_type: &str) -> Option<&'a Value> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let content = holder.get("content")?.as_object()?;
        let major = essence.split('/').next().unwrap_or("");
        content
            .get(&essence)
            .or_else(|| content.get(&format!("{major}/*")))
            .or_else(|| content.get("*/*"))
    }

    /// Check one reply of `method path` against the document: a documented status, a
    /// documented media type with a body that fits its schema (JSON parsed for JSON media
    /// types, else the body as a string), and the documented required headers.
    pub fn check_reply(
        &self,
        path: &str,
        method: &str,
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let where_ = format!("{} {path} -> {status}", method.to_uppercase());
        let response = self.response(path, method, status)?;
        if let Some(hs) = response.get("headers").and_then(Value::as_object) {
            for (name, h) in hs {
                let h = self.resolve(h);
                match headers.get(name.as_str()) {
                    None if h["required"] == Value::Bool(true) => {
                        return Err(format!("{where_}: required header {name} is missing"))
                    }
                    None => {}
                    Some(v) => {
                        let v = v
                            .to_str()
                            .map_err(|_| format!("{where_}: {name} not ASCII"))?;
                        let schema = &h["schema"];
                        let instance = match self.resolve(schema).get("type") {
                            Some(t) if t == "integer" => {
                                v.parse::<i64>().map(Value::from).map_err(|_| {
                                    format!("{where_}: header {name}: {v:?} is not an integer")
                                })?
                            }
                            _ => Value::String(v.to_owned()),
                        };
                        self.validate(schema, &instance)
                            .map_err(|e| format!("{where_}: header {name}: {}", e.join("; ")))?;
                    }
                }
            }
        }
        // A HEAD reply has no body whatever its media type says (RFC 9110 9.3.2).
        if method == "head" {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!("{where_}: a HEAD reply with a body"))
            };
        }
        if response.get("content").is_none() {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!("{where_}: a body, but none is documented"))
            };
        }
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = self
            .media(response, content_type)
            .ok_or_else(|| format!("{where_}: content type {content_type:?} is not documented"))?;
        let Some(schema) = media.get("schema") else {
            return Ok(());
        };
        let instance = if is_json(content_type) {
            serde_json::from_slice(body)
                .map_err(|e| format!("{where_}: the body is not JSON ({e})"))?
        } else {
            match std::str::from_utf8(body) {
                Ok(s) => Value::String(s.to_owned()),
                // Bytes fit only a schema that takes anything.
                Err(_) if schema.as_object().is_some_and(|o| o.is_empty()) => return Ok(()),
                Err(_) => return Err(format!("{where_}: the body is not text")),
            }
        };
        self.validate(schema, &instance).map_err(|errors| {
            format!(
                "{where_}: the body does not fit the schema:\n  {}\nbody: {}",
                errors.join("\n  "),
                String::from_utf8_lossy(&body[..body.len().min(2000)])
            )
        })
    }

    /// Validate `instance` against `schema` (references resolved in this document): `Ok`, or
    /// every error found, each with its JSON pointer.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        self.check(schema, instance, "", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let here = if at.is_empty() { "/" } else { at };
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return errors.push(format!("{here}: nothing is allowed here")),
            Value::Object(o) => o,
            other => return errors.push(format!("{here}: a schema must be an object: {other}")),
        };
        for (key, arg) in schema {
            let key = key.as_str();
            match key {
                "$ref" => {
                    let target = arg.as_str().map(|r| self.pointer(r)).unwrap_or(&Value::Null);
                    self.check(target, v, at, errors);
                }
                "type" => {
                    let types: Vec<&str> = match arg {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        _ => vec![],
                    };
                    assert!(!types.is_empty(), "`type` must name types: {arg}");
                    let fits: Vec<bool> = types.iter().map(|t| has_type(v, t)).collect();
                    if !fits.contains(&true) {
                        errors.push(format!("{here}: expected {}, got {}", types.join(" or "), kind(v)));
                    }
                }
                "enum" => {
                    if !arg.as_array().is_some_and(|a| a.iter().any(|x| json_eq(x, v))) {
                        errors.push(format!("{here}: {v} is not one of {arg}"));
                    }
                }
                "const" => {
                    if !json_eq(arg, v) {
                        errors.push(format!("{here}: expected {arg}, got {v}"));
                    }
                }
                "properties" => {
                    if let (Some(props), Some(obj)) = (arg.as_object(), v.as_object()) {
                        for (name, s) in props {
                            if let Some(value) = obj.get(name) {
                                self.check(s, value, &format!("{at}/{name}"), errors);
                            }
                        }
                    }
                }
                "required" => {
                    if let Some(obj) = v.as_object() {
                        for name in arg.as_array().into_iter().flatten().filter_map(Value::as_str) {
                            if !obj.contains_key(name) {
                                errors.push(format!("{here}: `{name}` is required"));
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Some(obj) = v.as_object() {
                        let known = schema.get("properties").and_then(Value::as_object);
                        for (name, value) in obj {
                            if known.is_some_and(|k| k.contains_key(name)) {
                                continue;
                            }
                            match arg {
                                Value::Bool(false) => {
                                    errors.push(format!("{here}: `{name}` is not a documented property"))
                                }
                                s => self.check(s, value, &format!("{at}/{name}"), errors),
                            }
                        }
                    }
                }
                "minProperties" | "maxProperties" => {
                    if let Some(obj) = v.as_object() {
                        let n = count_arg(key, arg);
                        if (key == "minProperties" && obj.len() < n)
                            || (key == "maxProperties" && obj.len() > n)
                        {
                            errors.push(format!("{here}: {} properties ({key} {n})", obj.len()));
                        }
                    }
                }
                "items" => {
                    if let Some(items) = v.as_array() {
                        let skip = schema
                            .get("prefixItems")
                            .and_then(Value::as_array)
                            .map_or(0, Vec::len);
                        for (i, item) in items.iter().enumerate().skip(skip) {
                            self.check(arg, item, &format!("{at}/{i}"), errors);
                        }
                    }
                }
                "prefixItems" => {
                    if let (Some(schemas), Some(items)) = (arg.as_array(), v.as_array()) {
                        for (i, (s, item)) in schemas.iter().zip(items).enumerate() {
                            self.check(s, item, &format!("{at}/{i}"), errors);
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(items) = v.as_array() {
                        let n = count_arg(key, arg);
                        if (key == "minItems" && items.len() < n)
                            || (key == "maxItems" && items.len() > n)
                        {
                            errors.push(format!("{here}: {} items ({key} {n})", items.len()));
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(s) = v.as_str() {
                        let n = count_arg(key, arg);
                        let len = s.chars().count();
                        if (key == "minLength" && len < n) || (key == "maxLength" && len > n) {
                            errors.push(format!("{here}: length {len} ({key} {n})"));
                        }
                    }
                }
                "pattern" => {
                    if let Some(s) = v.as_str() {
                        let re = regex::Regex::new(arg.as_str().unwrap_or(""))
                            .unwrap_or_else(|e| panic!("bad pattern {arg}: {e}"));
                        if !re.is_match(s) {
                            errors.push(format!("{here}: {s:?} does not match {arg}"));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    let bound = arg
                        .as_f64()
                        .unwrap_or_else(|| panic!("`{key}` must be a number, not {arg}"));
                    if let Some(x) = v.as_f64() {
                        if (key == "minimum" && x < bound) || (key == "maximum" && x > bound) {
                            errors.push(format!("{here}: {x} ({key} {bound})"));
                        }
                    }
                }
                "oneOf" | "anyOf" | "allOf" => {
                    let branches = arg.as_array().map(Vec::as_slice).unwrap_or_default();
                    let results: Vec<Vec<String>> = branches
                        .iter()
                        .map(|s| {
                            let mut e = Vec::new();
                            self.check(s, v, at, &mut e);
                            e
                        })
                        .collect();
                    let fits = results.iter().filter(|e| e.is_empty()).count();
                    let ok = match key {
                        "oneOf" => fits == 1,
                        "anyOf" => fits >= 1,
                        _ => fits == branches.len(),
                    };
                    if !ok {
                        let why: Vec<String> = results
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| !e.is_empty())
                            .map(|(i, e)| format!("[{i}] {}", e.join(", ")))
                            .collect();
                        errors.push(format!(
                            "{here}: {key}: {fits} of {} branches fit{}{}",
                            branches.len(),
                            if why.is_empty() { "" } else { " — " },
                            why.join(" | ")
                        ));
                    }
                }
                _ if ANNOTATIONS.contains(&key) => {}
                other => panic!("schema keyword `{other}` is not implemented by the check: implement it or leave it out"),
            }
        }
    }
}

/// Whether a media type carries JSON (`application/json`, `application/*+json`).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// A count keyword's argument (`minItems`...): a non-negative integer, or the document is wrong.
fn count_arg(key: &str, arg: &Value) -> usize {
    arg.as_u64()
        .unwrap_or_else(|| panic!("`{key}` must be a non-negative integer, not {arg}")) as usize
}

/// JSON equality as JSON Schema has it: numbers by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown JSON Schema type {other:?}"),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
