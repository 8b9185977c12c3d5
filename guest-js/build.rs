//! Generates the natives for the bindings' calls (`native.kv.get(binding, key)`, ...) from
//! `wit/worker.wit`, so a binding's guest side is its WIT interface plus its JS file
//! (`src/js/kv.js`): nothing in Rust changes when a method is added.
//!
//! Every interface the `engine` world imports whose functions all return a `pending-call` is a
//! binding. Each of its functions becomes `native.<interface>.<function>` (both in camelCase),
//! taking the WIT parameters in order; a record parameter is a JS object with the record's fields
//! in camelCase. Arguments are converted with `FromArg` (`src/calls/mod.rs`); the native starts the
//! call and returns its id. The output is `$OUT_DIR/bindings.rs`, included by `src/calls/mod.rs`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use wit_parser::{Function, Handle, Resolve, Type, TypeDefKind, TypeId, WorldItem};

fn main() {
    println!("cargo:rerun-if-changed=../wit");
    if let Err(e) = generate() {
        panic!("generating the binding natives from ../wit: {e:#}");
    }
}

fn generate() -> Result<(), String> {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_dir("../wit").map_err(|e| format!("{e:#}"))?;
    let world = resolve
        .select_world(&[pkg], Some("engine"))
        .map_err(|e| format!("{e:#}"))?;
    let mut out = String::new();
    let mut records = BTreeSet::new();
    let mut bindings = Vec::new();
    for item in resolve.worlds[world].imports.values() {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        let iface = &resolve.interfaces[*id];
        let Some(name) = iface.name.as_deref() else {
            continue;
        };
        // In name order: the generated code (and so the engine's bytes) must not depend on the
        // order a map hands the functions out in, which varied from build to build.
        let mut functions: Vec<&Function> = iface.functions.values().collect();
        functions.sort_by(|a, b| a.name.cmp(&b.name));
        if functions.is_empty() || !functions.iter().all(|f| returns_pending_call(&resolve, f)) {
            continue;
        }
        let module = module_path(&resolve, *id);
        let js_iface = camel(name);
        let _ = writeln!(
            out,
            "/// `native.{js_iface}`: the `{name}` interface's calls.\n\
             fn {name}_natives<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {{\n\
             \x20   let o = Object::new(ctx.clone())?;",
            name = snake(name),
        );
        for f in functions {
            let js_name = camel(&f.name);
            let params: Vec<(String, String, Type)> = f
                .params
                .iter()
                .map(|p| (format!("p_{}", snake(&p.name)), camel(&p.name), p.ty))
                .collect();
            let closure_params: String = params
                .iter()
                .map(|(v, _, _)| format!("{v}: Value<'js>, "))
                .collect();
            let _ = writeln!(
                out,
                "    o.set(\"{js_name}\", Function::new(ctx.clone(), \
                 |ctx: Ctx<'js>, {closure_params}| -> Result<u32> {{\n\
                 \x20       let a = Args::new(&ctx, \"{js_iface}.{js_name}\");"
            );
            let mut call_args = Vec::new();
            for (var, js, ty) in &params {
                let rust = rust_type(&resolve, *ty, &mut records)?;
                let _ = writeln!(
                    out,
                    "        let {var}: {rust} = FromArg::from_arg(&a, \"{js}\", &{var})?;"
                );
                call_args.push(pass(&resolve, var, *ty));
            }
            let _ = writeln!(
                out,
                "        Ok(start({module}::{}({})))\n    }})?)?;",
                snake(&f.name),
                call_args.join(", ")
            );
        }
        out.push_str("    Ok(o)\n}\n\n");
        bindings.push((js_iface, snake(name)));
    }
    if bindings.is_empty() {
        return Err("no interface of the engine world returns pending-call".into());
    }

    out.push_str(
        "/// Add every binding interface's natives to `native` (`native.kv`, ...).\n\
         pub fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {\n",
    );
    for (js, rust) in &bindings {
        let _ = writeln!(out, "    native.set(\"{js}\", {rust}_natives(ctx)?)?;");
    }
    out.push_str("    Ok(())\n}\n\n");

    // Records taken as arguments: a JS object, field by field.
    for id in records {
        let ty = &resolve.types[id];
        let TypeDefKind::Record(r) = &ty.kind else {
            unreachable!()
        };
        let path = format!(
            "{}::{}",
            module_path(&resolve, owner(&resolve, id)?),
            upper_camel(ty.name.as_deref().unwrap_or_default())
        );
        let _ = writeln!(
            out,
            "impl<'js> FromArg<'js> for {path} {{\n\
             \x20   fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {{\n\
             \x20       let o = a.object(name, v)?;\n\
             \x20       Ok(Self {{"
        );
        for field in &r.fields {
            let js = camel(&field.name);
            let _ = writeln!(
                out,
                "            {}: FromArg::from_arg(a, \"{js}\", &o.get(\"{js}\")?)?,",
                snake(&field.name)
            );
        }
        out.push_str("        })\n    }\n}\n\n");
    }

    let dest = Path::new(&std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("bindings.rs");
    std::fs::write(&dest, out).map_err(|e| format!("{}: {e}", dest.display()))
}

fn returns_pending_call(resolve: &Resolve, f: &Function) -> bool {
    let Some(Type::Id(id)) = f.result else {
        return false;
    };
    match &resolve.types[id].kind {
        TypeDefKind::Handle(Handle::Own(r)) => resource_named(resolve, *r, "pending-call"),
        TypeDefKind::Type(Type::Id(inner)) => match &resolve.types[*inner].kind {
            TypeDefKind::Handle(Handle::Own(r)) => resource_named(resolve, *r, "pending-call"),
            _ => false,
        },
        _ => false,
    }
}

fn resource_named(resolve: &Resolve, mut id: TypeId, name: &str) -> bool {
    // A `use` makes an alias (`type pending-call = calls.pending-call`): follow it.
    while let TypeDefKind::Type(Type::Id(next)) = resolve.types[id].kind {
        id = next;
    }
    resolve.types[id].name.as_deref() == Some(name)
}

/// The Rust type an argument of WIT type `ty` is converted to.
fn rust_type(
    resolve: &Resolve,
    ty: Type,
    records: &mut BTreeSet<TypeId>,
) -> Result<String, String> {
    Ok(match ty {
        Type::String => "String".into(),
        Type::U8 => "u8".into(),
        Type::U32 => "u32".into(),
        Type::U64 => "u64".into(),
        Type::Bool => "bool".into(),
        Type::Id(id) => {
            let def = &resolve.types[id];
            match &def.kind {
                TypeDefKind::Type(inner) => rust_type(resolve, *inner, records)?,
                TypeDefKind::Option(inner) => {
                    format!("Option<{}>", rust_type(resolve, *inner, records)?)
                }
                TypeDefKind::List(inner) => {
                    format!("Vec<{}>", rust_type(resolve, *inner, records)?)
                }
                TypeDefKind::Tuple(t) => {
                    let items: Result<Vec<String>, String> = t
                        .types
                        .iter()
                        .map(|t| rust_type(resolve, *t, records))
                        .collect();
                    format!("({},)", items?.join(", "))
                }
                TypeDefKind::Record(r) => {
                    for field in &r.fields {
                        rust_type(resolve, field.ty, records)?;
                    }
                    records.insert(id);
                    format!(
                        "{}::{}",
                        module_path(resolve, owner(resolve, id)?),
                        upper_camel(def.name.as_deref().unwrap_or_default())
                    )
                }
                other => {
                    return Err(format!(
                        "a binding argument of WIT type {} has no JS conversion yet (build.rs)",
                        other.as_str()
                    ))
                }
            }
        }
        other => {
            return Err(format!(
                "a binding argument of WIT type {other:?} has no JS conversion yet (build.rs)"
            ))
        }
    })
}

/// How a converted argument is passed to the wit-bindgen import: strings and lists borrowed,
/// options of them as `Option<&_>`, records with heap data borrowed, scalars by value.
fn pass(resolve: &Resolve, var: &str, ty: Type) -> String {
    match ty {
        Type::String => format!("&{var}"),
        Type::Id(id) => match &resolve.types[id].kind {
            TypeDefKind::Type(inner) => pass(resolve, var, *inner),
            TypeDefKind::Option(inner) if owns_heap(resolve, *inner) => format!("{var}.as_deref()"),
            TypeDefKind::Option(_) => var.to_string(),
            _ if owns_heap(resolve, ty) => format!("&{var}"),
            _ => var.to_string(),
        },
        _ => var.to_string(),
    }
}

fn owns_heap(resolve: &Resolve, ty: Type) -> bool {
    match ty {
        Type::String => true,
        Type::Id(id) => match &resolve.types[id].kind {
            TypeDefKind::Type(inner) | TypeDefKind::Option(inner) => owns_heap(resolve, *inner),
            TypeDefKind::List(_) => true,
            TypeDefKind::Record(r) => r.fields.iter().any(|f| owns_heap(resolve, f.ty)),
            TypeDefKind::Tuple(t) => t.types.iter().any(|t| owns_heap(resolve, *t)),
            _ => false,
        },
        _ => false,
    }
}

fn owner(resolve: &Resolve, id: TypeId) -> Result<wit_parser::InterfaceId, String> {
    match resolve.types[id].owner {
        wit_parser::TypeOwner::Interface(i) => Ok(i),
        _ => Err("a record outside an interface".into()),
    }
}

/// `crate::engine_world::sandbox::worker::kv`, where wit-bindgen puts an interface.
fn module_path(resolve: &Resolve, id: wit_parser::InterfaceId) -> String {
    let iface = &resolve.interfaces[id];
    let pkg = &resolve.packages[iface.package.expect("a named interface has a package")].name;
    format!(
        "crate::engine_world::{}::{}::{}",
        snake(&pkg.namespace),
        snake(&pkg.name),
        snake(iface.name.as_deref().unwrap_or_default())
    )
}

fn snake(kebab: &str) -> String {
    kebab.replace('-', "_")
}

fn camel(kebab: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in kebab.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn upper_camel(kebab: &str) -> String {
    let c = camel(kebab);
    let mut chars = c.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
