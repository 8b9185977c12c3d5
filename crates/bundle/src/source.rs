//! One source file through oxc: TypeScript/JSX stripped to JavaScript, and JavaScript read for
//! what the linker needs (its imports, `require` calls, module syntax, CommonJS export names).

use std::path::Path;

use oxc::allocator::Allocator;
use oxc::ast::ast::{
    Argument, AssignmentTarget, CallExpression, Expression, ObjectPropertyKind, PropertyKey,
};
use oxc::ast_visit::{walk, Visit};
use oxc::codegen::Codegen;
use oxc::parser::{ParseOptions, Parser};
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{JsxRuntime, TransformOptions, Transformer};

/// How JSX becomes JavaScript (from `tsconfig.json`'s `compilerOptions`, as TypeScript reads
/// them): the automatic runtime importing `<import_source>/jsx-runtime` (`"jsx": "react-jsx"`, the
/// default), or the classic `factory(...)` calls (`"jsx": "react"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsxConfig {
    /// `true` for the classic runtime.
    pub classic: bool,
    /// `jsxImportSource` (default `react`; Hono apps use `hono/jsx`).
    pub import_source: Option<String>,
    /// `jsxFactory` (classic; default `React.createElement`).
    pub factory: Option<String>,
    /// `jsxFragmentFactory` (classic; default `React.Fragment`).
    pub fragment: Option<String>,
}

/// Whether `name` is a file whose types (or JSX) must be stripped before QuickJS sees it.
pub fn needs_transform(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".ts", ".mts", ".cts", ".tsx", ".jsx"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        && !is_declaration(&lower)
}

/// `.d.ts` and friends: types only, never code.
pub fn is_declaration(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// `file:line:column` (1-based; the column counts characters) of byte `offset` in `source`.
pub fn location(name: &str, source: &str, offset: u32) -> String {
    let mut at = (offset as usize).min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("{name}:{line}:{column}")
}

/// The deepest nesting a source may have (brackets, plus chains of right-nested constructs —
/// `a = b = ...`, `x ? y : z ? ...`, `a => b => ...`, `!!!x`, `if (a) if (b) ...` — within one
/// statement). The parser recurses once per level; past this a hostile file could overflow a
/// thread's stack and take the whole process down. Real code stays far below (a few dozen).
pub const MAX_NESTING: usize = 1000;

/// Refuse a source nested deeper than [`MAX_NESTING`], before any recursive parser sees it. A
/// linear scan: strings, comments, template literals and regular expressions are skipped.
pub fn check_nesting(name: &str, source: &str) -> Result<(), String> {
    const CHAIN_WORDS: &[&str] = &[
        "if", "else", "new", "await", "typeof", "void", "delete", "yield", "while", "for", "do",
        "with", "function", "class",
    ];
    let b = source.as_bytes();
    // Each open bracket: its chain count, and whether it is a template literal's `${`, and
    // whether it is a block (`{` after `)`, `=>`, `else`, a class name...; not an object
    // literal): a block's end ends the statement around it, so its chain starts over.
    let mut frames: Vec<(usize, bool, bool)> = vec![(0, false, false)];
    let mut chains = 0usize;
    // The last significant byte: decides whether `/` starts a regular expression and whether
    // `+`/`-` are prefix operators.
    let mut last: u8 = b';';
    let mut i = 0;
    let fail = |at: usize| {
        Err(format!(
            "{}: the source is nested more than {MAX_NESTING} levels deep; split it up",
            location(name, source, at as u32)
        ))
    };
    // Inside a template literal, up to its end or its next `${`.
    fn skip_template(b: &[u8], mut i: usize) -> (usize, bool) {
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'`' => return (i + 1, false),
                b'$' if b.get(i + 1) == Some(&b'{') => return (i + 2, true),
                _ => i += 1,
            }
        }
        (i, false)
    }
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'/' if b"(,=:[!&|?{};+-*%<>~^".contains(&last) => {
                // A regular expression literal.
                i += 1;
                let mut class = false;
                while i < b.len() && b[i] != b'\n' {
                    match b[i] {
                        b'\\' => i += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        b'/' if !class => break,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
                last = b'a';
                continue;
            }
            b'"' | b'\'' => {
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                last = b'a';
                continue;
            }
            b'`' => {
                let (next, expr) = skip_template(b, i + 1);
                i = next;
                if expr {
                    frames.push((0, true, false));
                    if frames.len() + chains > MAX_NESTING {
                        return fail(i);
                    }
                    last = b'(';
                } else {
                    last = b'a';
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                let block = c == b'{' && b");}{>a".contains(&last);
                frames.push((0, false, block));
                if frames.len() + chains > MAX_NESTING {
                    return fail(i);
                }
            }
            b')' | b']' | b'}' if frames.len() > 1 => {
                let (chain, template, block) = frames.pop().expect("more than one frame");
                chains -= chain;
                if block {
                    let parent = frames.last_mut().expect("a frame");
                    chains -= parent.0;
                    parent.0 = 0;
                }
                if template && c == b'}' {
                    let (next, expr) = skip_template(b, i + 1);
                    i = next;
                    if expr {
                        frames.push((0, true, false));
                        last = b'(';
                    } else {
                        last = b'a';
                    }
                    continue;
                }
            }
            b';' | b',' => {
                let top = frames.last_mut().expect("a frame");
                chains -= top.0;
                top.0 = 0;
            }
            _ => {}
        }
        let chain = match c {
            b'=' => {
                !matches!(b.get(i + 1), Some(b'=')) && !b"=!<>".contains(&last)
                    || b.get(i + 1) == Some(&b'>')
            }
            b'?' => !matches!(b.get(i + 1), Some(b'.' | b'?')) && last != b'?',
            b'!' | b'~' => b.get(i + 1) != Some(&b'='),
            // A type argument list (`Array<Array<...>>`); a comparison counts too, harmlessly:
            // a statement, a `,` or a closing bracket ends the chain.
            b'<' => !matches!(b.get(i + 1), Some(b'<' | b'=')) && last != b'<',
            b'+' | b'-' => b"(,=:[!&|?{};*%<>~^+-".contains(&last) && b.get(i + 1) != Some(&c),
            b'a'..=b'z' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                let word = &source[start..i];
                last = if matches!(
                    word,
                    "return"
                        | "typeof"
                        | "case"
                        | "do"
                        | "else"
                        | "in"
                        | "of"
                        | "new"
                        | "delete"
                        | "void"
                        | "throw"
                        | "yield"
                        | "await"
                ) {
                    b'('
                } else {
                    b'a'
                };
                if CHAIN_WORDS.contains(&word) {
                    frames.last_mut().expect("a frame").0 += 1;
                    chains += 1;
                    if frames.len() + chains > MAX_NESTING {
                        return fail(start);
                    }
                }
                continue;
            }
            _ => false,
        };
        if chain {
            frames.last_mut().expect("a frame").0 += 1;
            chains += 1;
            if frames.len() + chains > MAX_NESTING {
                return fail(i);
            }
        }
        if !c.is_ascii_whitespace() {
            last = if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
                b'a'
            } else {
                c
            };
        }
        i += 1;
    }
    Ok(())
}

fn syntax_error(name: &str, source: &str, errors: &[oxc::diagnostics::OxcDiagnostic]) -> String {
    let first = &errors[0];
    let offset = first.labels.first().map_or(0, |l| l.offset());
    let mut msg = format!(
        "{}: SyntaxError: {}",
        location(name, source, offset),
        first.message
    );
    if let Some(help) = &first.help {
        msg.push_str(&format!(" ({help})"));
    }
    if errors.len() > 1 {
        msg.push_str(&format!(" (and {} more)", errors.len() - 1));
    }
    msg
}

/// TypeScript (`.ts`, `.mts`, `.cts`, `.tsx`) or JSX (`.jsx`) to JavaScript, as esbuild and
/// Sucrase do it: types are removed, not checked (a type error is not an error); enums,
/// namespaces, parameter properties and legacy decorators (`experimentalDecorators`, as
/// TypeScript emits them) become code; imports used only as types disappear. A syntax error is
/// `file:line:column: SyntaxError: ...`.
pub fn strip_types(name: &str, source: &str, jsx: &JsxConfig) -> Result<String, String> {
    check_nesting(name, source)?;
    // A name without a TypeScript/JSX extension (`{"ts": ...}` under `w.js`) is TypeScript.
    let lower = name.to_ascii_lowercase();
    let lower = if needs_transform(&lower) {
        lower
    } else {
        format!("{lower}.ts")
    };
    let source_type =
        SourceType::from_path(Path::new(&lower)).map_err(|e| format!("{name}: {}", &*e))?;
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let errors: Vec<_> = parsed.diagnostics.errors().cloned().collect();
        if !errors.is_empty() {
            return Err(syntax_error(name, source, &errors));
        }
        return Err(format!("{name}: SyntaxError: the parser gave up"));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .build(&program)
        .semantic
        .into_scoping();
    let mut options = TransformOptions::default();
    options.decorator.legacy = true;
    options.jsx.runtime = if jsx.classic {
        JsxRuntime::Classic
    } else {
        JsxRuntime::Automatic
    };
    options.jsx.import_source = jsx.import_source.clone();
    options.jsx.pragma = jsx.factory.clone();
    options.jsx.pragma_frag = jsx.fragment.clone();
    if let Some(f) = &jsx.factory {
        options.typescript.jsx_pragma = f.clone().into();
    }
    if let Some(f) = &jsx.fragment {
        options.typescript.jsx_pragma_frag = f.clone().into();
    }
    let done = Transformer::new(&allocator, Path::new(&lower), &options)
        .build_with_scoping(scoping, &mut program);
    if done.diagnostics.has_errors() {
        let errors: Vec<_> = done.diagnostics.errors().cloned().collect();
        return Err(syntax_error(name, source, &errors));
    }
    Ok(Codegen::new().build(&program).code)
}

/// How a specifier is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `import ... from "x"`, `export ... from "x"`, `import "x"`.
    Static,
    /// `import("x")` with a literal.
    Dynamic,
    /// `require("x")` with a literal.
    Require,
}

/// One specifier in a source, with the byte span of its string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specifier {
    /// The specifier's value.
    pub value: String,
    /// Byte range of the literal in the source (quotes included).
    pub start: u32,
    /// End of that range.
    pub end: u32,
    /// How it is requested.
    pub request: Request,
}

/// What the linker needs to know of a JavaScript file.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// It has `import`/`export` statements (an ES module), as opposed to a CommonJS or plain
    /// script.
    pub esm: bool,
    /// Every literal specifier it requests.
    pub specifiers: Vec<Specifier>,
    /// Names imported from each specifier (`import { a } from "x"` → ("x", "a")), `default` and
    /// namespaces excluded: the CommonJS interop exports them.
    pub named_imports: Vec<(String, String)>,
    /// Specifiers re-exported with `export * from`.
    pub star_exports: Vec<String>,
    /// For CommonJS: the names it assigns on `exports` / `module.exports`.
    pub cjs_exports: Vec<String>,
    /// For CommonJS: `module.exports = require("x")` re-exports (the specifier).
    pub cjs_reexports: Vec<String>,
}

/// How a JavaScript file is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `.mjs` (and stripped TypeScript): an ES module.
    Module,
    /// `.cjs`: CommonJS.
    CommonJs,
    /// `.js`: decided by its syntax (ES module if it has `import`/`export`).
    Unambiguous,
}

/// Read a JavaScript file for the linker. A syntax error is `file:line:column: SyntaxError: ...`.
pub fn analyze(name: &str, source: &str, syntax: Syntax) -> Result<Analysis, String> {
    check_nesting(name, source)?;
    let allocator = Allocator::default();
    let source_type = match syntax {
        Syntax::Module => SourceType::mjs(),
        Syntax::CommonJs => SourceType::cjs(),
        Syntax::Unambiguous => SourceType::unambiguous(),
    };
    let options = ParseOptions {
        allow_return_outside_function: syntax != Syntax::Module,
        ..ParseOptions::default()
    };
    let parsed = Parser::new(&allocator, source, source_type)
        .with_options(options)
        .parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let errors: Vec<_> = parsed.diagnostics.errors().cloned().collect();
        if !errors.is_empty() {
            return Err(syntax_error(name, source, &errors));
        }
        return Err(format!("{name}: SyntaxError: the parser gave up"));
    }
    let record = &parsed.module_record;
    let mut out = Analysis {
        esm: syntax == Syntax::Module || record.has_module_syntax,
        ..Analysis::default()
    };
    for (value, requests) in record.requested_modules.iter() {
        for r in requests.iter() {
            if r.is_type {
                continue;
            }
            out.specifiers.push(Specifier {
                value: value.to_string(),
                start: r.span.start,
                end: r.span.end,
                request: Request::Static,
            });
        }
    }
    for d in record.dynamic_imports.iter() {
        let text = &source[d.module_request.start as usize..d.module_request.end as usize];
        if let Some(value) = string_literal(text) {
            out.specifiers.push(Specifier {
                value,
                start: d.module_request.start,
                end: d.module_request.end,
                request: Request::Dynamic,
            });
        }
    }
    for entry in record.import_entries.iter() {
        if let oxc::syntax::module_record::ImportImportName::Name(n) = &entry.import_name {
            out.named_imports
                .push((entry.module_request.name.to_string(), n.name.to_string()));
        }
    }
    for entry in record.indirect_export_entries.iter() {
        if let (Some(req), oxc::syntax::module_record::ExportImportName::Name(n)) =
            (&entry.module_request, &entry.import_name)
        {
            out.named_imports
                .push((req.name.to_string(), n.name.to_string()));
        }
    }
    for entry in record.star_export_entries.iter() {
        if let Some(req) = &entry.module_request {
            out.star_exports.push(req.name.to_string());
        }
    }
    let mut visitor = CjsVisitor { out: &mut out };
    visitor.visit_program(&parsed.program);
    out.specifiers.sort_by_key(|s| s.start);
    out.specifiers.dedup_by_key(|s| s.start);
    out.cjs_exports.sort();
    out.cjs_exports.dedup();
    Ok(out)
}

/// The value of a JS string literal's source text (`"x"`, `'x'` or a template without
/// substitutions), or `None` if it is something else.
fn string_literal(text: &str) -> Option<String> {
    let text = text.trim();
    let quote = text.chars().next()?;
    if !matches!(quote, '"' | '\'' | '`') || text.len() < 2 || !text.ends_with(quote) {
        return None;
    }
    let inner = &text[1..text.len() - 1];
    if inner.contains('\\') || (quote == '`' && inner.contains("${")) {
        return None; // escapes in a specifier: leave it alone rather than guess
    }
    Some(inner.to_string())
}

struct CjsVisitor<'o> {
    out: &'o mut Analysis,
}

fn is_ident(e: &Expression<'_>, name: &str) -> bool {
    matches!(e, Expression::Identifier(id) if id.name == name)
}

/// `exports` or `module.exports`.
fn is_exports(e: &Expression<'_>) -> bool {
    match e {
        Expression::Identifier(id) => id.name == "exports",
        Expression::StaticMemberExpression(m) => {
            is_ident(&m.object, "module") && m.property.name == "exports"
        }
        _ => false,
    }
}

fn require_literal<'a>(call: &CallExpression<'a>) -> Option<(&'a str, u32, u32)> {
    if !is_ident(&call.callee, "require") || call.arguments.len() != 1 {
        return None;
    }
    match &call.arguments[0] {
        Argument::StringLiteral(s) => Some((s.value.as_str(), s.span.start, s.span.end)),
        Argument::TemplateLiteral(t) if t.expressions.is_empty() && t.quasis.len() == 1 => t.quasis
            [0]
        .value
        .cooked
        .as_ref()
        .map(|c| (c.as_str(), t.span.start, t.span.end)),
        _ => None,
    }
}

impl<'a> Visit<'a> for CjsVisitor<'_> {
    fn visit_call_expression(&mut self, call: &CallExpression<'a>) {
        if let Some((value, start, end)) = require_literal(call) {
            self.out.specifiers.push(Specifier {
                value: value.to_string(),
                start,
                end,
                request: Request::Require,
            });
        }
        // Object.defineProperty(exports, "name", ...)
        if let Expression::StaticMemberExpression(m) = &call.callee {
            if is_ident(&m.object, "Object")
                && m.property.name == "defineProperty"
                && call.arguments.len() >= 2
            {
                if let (Some(target), Argument::StringLiteral(s)) =
                    (call.arguments[0].as_expression(), &call.arguments[1])
                {
                    if is_exports(target) {
                        self.out.cjs_exports.push(s.value.to_string());
                    }
                }
            }
        }
        walk::walk_call_expression(self, call);
    }

    fn visit_assignment_expression(&mut self, assign: &oxc::ast::ast::AssignmentExpression<'a>) {
        match &assign.left {
            // exports.x = ..., module.exports.x = ...
            AssignmentTarget::StaticMemberExpression(m) if is_exports(&m.object) => {
                self.out.cjs_exports.push(m.property.name.to_string());
            }
            AssignmentTarget::ComputedMemberExpression(m) if is_exports(&m.object) => {
                if let Expression::StringLiteral(s) = &m.expression {
                    self.out.cjs_exports.push(s.value.to_string());
                }
            }
            _ => {}
        }
        // module.exports = { a, b: ... } / module.exports = require("x")
        if let AssignmentTarget::StaticMemberExpression(m) = &assign.left {
            if is_ident(&m.object, "module") && m.property.name == "exports" {
                match &assign.right {
                    Expression::ObjectExpression(o) => {
                        for p in &o.properties {
                            if let ObjectPropertyKind::ObjectProperty(p) = p {
                                match &p.key {
                                    PropertyKey::StaticIdentifier(id) => {
                                        self.out.cjs_exports.push(id.name.to_string())
                                    }
                                    PropertyKey::StringLiteral(s) => {
                                        self.out.cjs_exports.push(s.value.to_string())
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                    Expression::CallExpression(call) => {
                        if let Some((value, _, _)) = require_literal(call) {
                            self.out.cjs_reexports.push(value.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        walk::walk_assignment_expression(self, assign);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_what_typescript_has() {
        let ts = r#"
import type { Env } from "./types";
import { helper, type Opt } from "./helper";
enum Color { Red, Green = 4 }
class Box<T> { constructor(private readonly value: T, public n?: number) {} get(): T { return this.value; } }
const cfg = { a: 1 } satisfies Record<string, number>;
export type Alias = string;
export interface I { x: number }
function id<T>(x: T): T { return x as T; }
declare const ambient: number;
namespace NS { export const k = 1; }
export default { fetch(req: Request, env: Env): Response { return new Response(String(Color.Green + id<number>(cfg.a) + new Box(2).get() + NS.k) + helper); } };
"#;
        let js = strip_types("src/index.ts", ts, &JsxConfig::default()).unwrap();
        assert!(!js.contains("import type"), "{js}");
        assert!(!js.contains("./types"), "{js}");
        assert!(js.contains("./helper"), "{js}");
        assert!(!js.contains("interface"), "{js}");
        assert!(js.contains("Color"), "{js}");
        assert!(js.contains("this.value = value"), "{js}");
        let a = analyze("src/index.ts", &js, Syntax::Module).unwrap();
        assert_eq!(a.specifiers.len(), 1);
        assert_eq!(a.specifiers[0].value, "./helper");
    }

    /// Each kind of deep nesting is refused by the scan, on a thread with the default 2 MiB
    /// stack, before the parser could overflow it; nesting just under the limit parses there.
    #[test]
    fn deep_nesting_is_refused_before_the_parser_sees_it() {
        let deep = |open: &str, close: &str, n: usize| {
            format!("const x = {}0{};", open.repeat(n), close.repeat(n))
        };
        let cases = [
            deep("[", "]", 20_000),
            deep("(", ")", 20_000),
            deep("{a:", "}", 20_000),
            format!("let a; a = {}1;", "a = ".repeat(20_000)),
            format!("const f = {}0;", "a => ".repeat(20_000)),
            format!("const t = {}0;", "a ? b : ".repeat(20_000)),
            format!("const n = {}0;", "!".repeat(20_000)),
            format!("const n = {}0;", "- ".repeat(20_000)),
            format!("{}x();", "if (a) ".repeat(20_000)),
            format!(
                "const s = {}0{};",
                "`${".repeat(20_000),
                "}`".repeat(20_000)
            ),
            format!(
                "type T = {}number{};",
                "Array<".repeat(20_000),
                ">".repeat(20_000)
            ),
        ];
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                for (i, src) in cases.iter().enumerate() {
                    // (Never print a result: the sources are huge.)
                    let refused = check_nesting("deep.ts", src).is_err();
                    assert!(refused, "case {i} was not refused");
                    let err = strip_types("deep.ts", src, &JsxConfig::default()).err();
                    assert!(
                        err.is_some_and(|e| e.contains("nested more than")),
                        "case {i}"
                    );
                    assert!(
                        analyze("deep.js", src, Syntax::Unambiguous).is_err(),
                        "case {i}"
                    );
                }
                let ok = deep("[", "]", 900);
                strip_types("ok.ts", &ok, &JsxConfig::default()).unwrap();
                analyze("ok.js", &ok, Syntax::Unambiguous).unwrap();
                // Long flat code is not nesting: 20,000 statements, calls and operators.
                let flat = "a = b + c - d * (e ? f : g), h(!i, ~j);\n".repeat(20_000);
                check_nesting("flat.js", &flat).unwrap();
                // Thousands of declarations, each a block: no false alarm.
                let decls = "export function f<T>(x: T): T { if (x) { return x; } else { return x; } }\nexport interface I<T> { a: T }\nclass C extends B { m() {} }\n".repeat(5_000);
                check_nesting("decls.ts", &decls).unwrap();
                let strings = "x = '(((' + \"[[[\" + `{{{${a}` + /\\((/g;\n".repeat(5_000);
                check_nesting("strings.js", &strings).unwrap();
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn legacy_decorators_become_calls() {
        let ts = "function log(t: any, k: string) {}\nclass A { @log m() {} }\nexport default A;";
        let js = strip_types("a.ts", ts, &JsxConfig::default()).unwrap();
        assert!(
            js.contains("__decorate") || js.contains("_decorate"),
            "{js}"
        );
    }

    #[test]
    fn syntax_errors_name_file_line_column() {
        let err = strip_types(
            "src/bad.ts",
            "const a = 1;\nconst b: number = ;\n",
            &JsxConfig::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("src/bad.ts:2:"), "{err}");
        assert!(err.contains("SyntaxError"), "{err}");
        // A type error is not an error; a TypeScript module under a .js name is still one.
        assert!(strip_types(
            "w.js",
            "const n: number = 1; export { n };",
            &JsxConfig::default()
        )
        .unwrap()
        .contains("const n = 1"));
        strip_types("t.ts", "const n: number = 'text';", &JsxConfig::default()).unwrap();
    }

    #[test]
    fn tsx_uses_the_configured_runtime() {
        let src = "export const A = () => <div>hi</div>;";
        let js = strip_types(
            "a.tsx",
            src,
            &JsxConfig {
                import_source: Some("hono/jsx".into()),
                ..JsxConfig::default()
            },
        )
        .unwrap();
        assert!(js.contains("hono/jsx/jsx-runtime"), "{js}");
        let js = strip_types(
            "a.tsx",
            src,
            &JsxConfig {
                classic: true,
                factory: Some("h".into()),
                ..JsxConfig::default()
            },
        )
        .unwrap();
        assert!(js.contains("h(\"div\""), "{js}");
    }

    #[test]
    fn analysis_finds_requests_and_commonjs_exports() {
        let cjs = r#"
const a = require("./a");
const b = require(`b`);
exports.one = 1;
module.exports.two = 2;
Object.defineProperty(exports, "three", { value: 3 });
if (x) { require("optional") }
"#;
        let a = analyze("x.js", cjs, Syntax::Unambiguous).unwrap();
        assert!(!a.esm);
        let values: Vec<_> = a.specifiers.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values, ["./a", "b", "optional"]);
        assert_eq!(a.cjs_exports, ["one", "three", "two"]);
        for s in &a.specifiers {
            let lit = &cjs[s.start as usize..s.end as usize];
            assert!(lit.len() == s.value.len() + 2, "{lit}");
        }
        let m = analyze(
            "y.js",
            "import d, { x as y } from './d.js'; export * from 'e'; export { z } from 'f'; const m = await import('./lazy.js'); import(dyn);",
            Syntax::Unambiguous,
        )
        .unwrap();
        assert!(m.esm);
        let values: Vec<_> = m
            .specifiers
            .iter()
            .map(|s| (s.value.as_str(), s.request))
            .collect();
        assert_eq!(
            values,
            [
                ("./d.js", Request::Static),
                ("e", Request::Static),
                ("f", Request::Static),
                ("./lazy.js", Request::Dynamic)
            ]
        );
        assert_eq!(
            m.named_imports,
            [
                ("./d.js".to_string(), "x".to_string()),
                ("f".to_string(), "z".to_string())
            ]
        );
        assert_eq!(m.star_exports, ["e"]);
        let re = analyze(
            "r.js",
            "module.exports = require('./impl'); module.exports = { a, 'b': 1 };",
            Syntax::CommonJs,
        )
        .unwrap();
        assert_eq!(re.cjs_reexports, ["./impl"]);
        assert_eq!(re.cjs_exports, ["a", "b"]);
    }
}
