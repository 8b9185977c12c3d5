//! Code Mode tools: the supervisor registers tools (name, description, JSON schema of the input)
//! with a handler; a worker that has the [`ToolSet`] as a binding calls them as
//! `await env.TOOLS.search({ q: "..." })`. Inputs are checked against the schema before the
//! handler runs; a handler's error is a catchable `Error` in the script. Calls made together run
//! concurrently (each is its own task). [`ToolSet::typescript`] renders the tools as a TypeScript
//! declaration to put in an LLM's prompt.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use wasm_sandbox_spec::boundary::{tool_input as validate, tool_name as valid_name};

/// What a tool handler returns: its JSON result, or an error message for the script.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;
type Handler = Arc<dyn Fn(Value) -> ToolFuture + Send + Sync>;

/// One tool.
#[derive(Clone)]
pub struct Tool {
    /// Its method name in the binding (a JavaScript identifier).
    pub name: String,
    /// What it does, for the model (rendered as a doc comment).
    pub description: String,
    /// JSON schema of the input (an object schema, usually).
    pub input_schema: Value,
    handler: Handler,
}

/// The tools one binding exposes.
#[derive(Clone, Default)]
pub struct ToolSet {
    tools: Vec<Tool>,
}

impl std::fmt::Debug for ToolSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.tools.iter().map(|t| &t.name))
            .finish()
    }
}

impl ToolSet {
    /// No tools yet.
    pub fn new() -> Self {
        ToolSet::default()
    }

    /// Add a tool. `name` must be a JavaScript identifier (it becomes a method name); a later
    /// tool of the same name replaces the earlier one.
    ///
    /// ```
    /// use wasm_sandbox::tools::ToolSet;
    /// let tools = ToolSet::new().tool(
    ///     "search",
    ///     "Search the docs",
    ///     serde_json::json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
    ///     |input| async move { Ok(serde_json::json!({"hits": [input["q"].clone()]})) },
    /// );
    /// assert!(tools.typescript("TOOLS").contains("search(input: { q: string }): Promise<unknown>;"));
    /// ```
    pub fn tool<F, Fut>(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        let name = name.into();
        assert!(
            valid_name(&name),
            "tool name {name:?} is not a JavaScript identifier"
        );
        self.tools.retain(|t| t.name != name);
        self.tools.push(Tool {
            name,
            description: description.into(),
            input_schema,
            handler: Arc::new(move |v| Box::pin(handler(v))),
        });
        self
    }

    /// The tools, in registration order.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.tools.iter().map(|t| t.name.clone()).collect()
    }

    /// Validate `input` against the tool's schema and run its handler.
    pub async fn call(&self, name: &str, input: Value) -> Result<Value, String> {
        let tool = self
            .tools
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("no tool named {name:?}"))?;
        validate(&tool.input_schema, &input, "input")
            .map_err(|e| format!("{name}(): invalid input: {e}"))?;
        (tool.handler)(input).await
    }

    /// A TypeScript declaration of the binding named `binding`, with each tool's description as
    /// a doc comment and its input schema as the parameter type.
    pub fn typescript(&self, binding: &str) -> String {
        let mut out = format!("declare const env: {{\n  {binding}: {{\n");
        for t in &self.tools {
            out.push_str("    /**\n");
            for line in t.description.lines() {
                out.push_str(&format!("     * {}\n", line.replace("*/", "*\\/")));
            }
            out.push_str("     */\n");
            out.push_str(&format!(
                "    {}(input: {}): Promise<unknown>;\n",
                t.name,
                ts_type(&t.input_schema, 2)
            ));
        }
        out.push_str("  };\n};\n");
        out
    }
}

/// A JSON schema as a TypeScript type (the common subset: object, array, primitives, enum,
/// const, anyOf/oneOf, nullable type lists).
fn ts_type(schema: &Value, depth: usize) -> String {
    if depth > 8 {
        return "unknown".into();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(v) = schema.get("const") {
        return v.to_string();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(variants) = schema.get(key).and_then(Value::as_array) {
            return variants
                .iter()
                .map(|v| ts_type(v, depth + 1))
                .collect::<Vec<_>>()
                .join(" | ");
        }
    }
    let one = |t: &str| -> String {
        match t {
            "string" => "string".into(),
            "number" | "integer" => "number".into(),
            "boolean" => "boolean".into(),
            "null" => "null".into(),
            "array" => match schema.get("items") {
                Some(items) => format!("Array<{}>", ts_type(items, depth + 1)),
                None => "unknown[]".into(),
            },
            "object" => {
                let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                    return "Record<string, unknown>".into();
                };
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let fields: Vec<String> = props
                    .iter()
                    .map(|(k, v)| {
                        let key = if valid_name(k) {
                            k.clone()
                        } else {
                            Value::String(k.clone()).to_string()
                        };
                        let opt = if required.contains(&k.as_str()) {
                            ""
                        } else {
                            "?"
                        };
                        format!("{key}{opt}: {}", ts_type(v, depth + 1))
                    })
                    .collect();
                format!("{{ {} }}", fields.join("; "))
            }
            _ => "unknown".into(),
        }
    };
    match schema.get("type") {
        Some(Value::String(t)) => one(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" | "),
        _ if schema.get("properties").is_some() => one("object"),
        _ => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "q": {"type": "string", "minLength": 1},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50},
                "sort": {"enum": ["asc", "desc"]},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["q"],
            "additionalProperties": false
        })
    }

    #[test]
    fn validation_accepts_good_input_and_names_what_is_wrong() {
        let s = schema();
        assert!(validate(&s, &json!({"q": "x", "limit": 3, "tags": ["a"]}), "input").is_ok());
        let err = |v: Value| validate(&s, &v, "input").unwrap_err();
        assert_eq!(err(json!({})), "input.q is required");
        assert_eq!(err(json!({"q": 1})), "input.q must be a string");
        assert_eq!(err(json!({"q": ""})), "input.q is too short");
        assert_eq!(
            err(json!({"q": "x", "limit": 1.5})),
            "input.limit must be a integer"
        );
        assert_eq!(
            err(json!({"q": "x", "limit": 99})),
            "input.limit must be <= 50"
        );
        assert_eq!(
            err(json!({"q": "x", "sort": "up"})),
            r#"input.sort must be one of ["asc","desc"]"#
        );
        assert_eq!(
            err(json!({"q": "x", "tags": [1]})),
            "input.tags[0] must be a string"
        );
        assert_eq!(
            err(json!({"q": "x", "more": 1})),
            "input.more is not an allowed property"
        );
        assert_eq!(err(json!("x")), "input must be a object");
    }

    #[test]
    fn typescript_declaration_has_descriptions_and_types() {
        let tools = ToolSet::new()
            .tool(
                "search",
                "Search the docs.\nReturns hits.",
                schema(),
                |_| async { Ok(Value::Null) },
            )
            .tool("now", "The time", json!({"type": "object"}), |_| async {
                Ok(Value::Null)
            });
        let ts = tools.typescript("TOOLS");
        assert_eq!(
            ts,
            "declare const env: {\n  TOOLS: {\n    /**\n     * Search the docs.\n     * Returns hits.\n     */\n    search(input: { limit?: number; q: string; sort?: \"asc\" | \"desc\"; tags?: Array<string> }): Promise<unknown>;\n    /**\n     * The time\n     */\n    now(input: Record<string, unknown>): Promise<unknown>;\n  };\n};\n"
        );
    }
}
