//! JavaScript source the engine guest builds from a worker's non-JS modules. `guest-js` compiles
//! this very file into the guest by path (`#[path]`), so it stands alone: std only, no `crate::`.

/// The kind of a module, as in Workers' module rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// An ES module.
    Js,
    /// A string (`export default "<text>"`).
    Text,
    /// A parsed JSON value.
    Json,
    /// An `ArrayBuffer` of the bytes.
    Data,
}

/// `text` as a double-quoted JS string literal that evaluates to exactly `text`.
pub fn string_literal(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The ES module source for a module of `kind` named `name` with bytes `content`:
/// JS as it is, text as a string export, JSON as its value (the host checked it is JSON), data
/// as an `ArrayBuffer` the prelude registered under the module's name.
pub fn module_source(name: &str, kind: ModuleKind, content: &[u8]) -> Result<String, String> {
    let text =
        || std::str::from_utf8(content).map_err(|_| format!("module `{name}` is not valid UTF-8"));
    Ok(match kind {
        ModuleKind::Js => text()?.to_owned(),
        ModuleKind::Text => format!("export default {};", string_literal(text()?)),
        // Through JSON.parse, as JSON modules are read (not as a JS object literal, where a
        // `"__proto__"` key would set the prototype and a repeated one is a SyntaxError).
        ModuleKind::Json => format!("export default JSON.parse({});", string_literal(text()?)),
        ModuleKind::Data => format!(
            "export default globalThis[Symbol.for('sandbox.internals')].dataModule({});",
            string_literal(name)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_ends_or_bends_a_string() {
        assert_eq!(
            string_literal("a\"b\\c\n\u{2028}\u{1}"),
            r#""a\"b\\c\n\u2028\u0001""#
        );
        assert_eq!(string_literal(""), r#""""#);
    }

    #[test]
    fn module_sources_by_kind() {
        assert_eq!(
            module_source("t.txt", ModuleKind::Text, b"hi").unwrap(),
            r#"export default "hi";"#
        );
        assert_eq!(
            module_source("d.json", ModuleKind::Json, br#"{"a": 1}"#).unwrap(),
            r#"export default JSON.parse("{\"a\": 1}");"#
        );
        assert!(module_source("x.js", ModuleKind::Js, b"\xff")
            .unwrap_err()
            .contains("UTF-8"));
    }
}
