//! Calls into bindings (`env.KV`, `env.TOOLS`...): started without blocking ([`start`] returns an
//! id at once), settled by the event loop when the host's `pending-call` is ready, so calls made
//! together overlap (the host runs each on its own task).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use javy::quickjs::{Array, Ctx, Exception, Result, Value};

use crate::engine_world::sandbox::worker::calls::{PendingCall, Reply};
use crate::engine_world::sandbox::worker::types::HttpRequest;
use crate::engine_world::sandbox::worker::{files, kv, services, tools};
use crate::engine_world::wasi::io::poll::Pollable;

thread_local! {
    static PENDING: RefCell<BTreeMap<u32, PendingCall>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// Start `kind.method` on the binding named `binding` with `args` (shapes fixed by the prelude).
/// Errors are messages for a `TypeError`.
pub fn start<'js>(
    ctx: &Ctx<'js>,
    kind: &str,
    binding: &str,
    method: &str,
    args: Array<'js>,
) -> Result<u32> {
    let bad = |what: &str| Exception::throw_type(ctx, &format!("{kind}.{method}: {what}"));
    let string = |i: usize| -> Result<String> { args.get::<String>(i) };
    let opt_string = |i: usize| -> Result<Option<String>> {
        let v: Value<'js> = args.get(i)?;
        if v.is_null() || v.is_undefined() {
            Ok(None)
        } else {
            v.get::<String>().map(Some)
        }
    };
    let opt_u64 = |i: usize| -> Result<Option<u64>> {
        let v: Value<'js> = args.get(i)?;
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        match v.as_number() {
            Some(n) if (0.0..=9.0e15).contains(&n) => Ok(Some(n as u64)),
            _ => Err(Exception::throw_type(
                ctx,
                &format!("{kind}.{method}: expected a non-negative number of seconds"),
            )),
        }
    };
    let call = match (kind, method) {
        ("kv", "get") => kv::get(binding, &string(0)?),
        ("kv", "put") => {
            let value: Value<'js> = args.get(1)?;
            let bytes = crate::natives::bytes_of(ctx, &value)?.to_vec();
            let options = kv::PutOptions {
                expiration_ttl: opt_u64(2)?,
                expiration: opt_u64(3)?,
                metadata_json: opt_string(4)?,
            };
            kv::put(binding, &string(0)?, &bytes, &options)
        }
        ("kv", "delete") => kv::delete(binding, &string(0)?),
        ("kv", "list") => {
            let limit = opt_u64(1)?.map(|n| n.min(u32::MAX as u64) as u32);
            kv::list_keys(
                binding,
                opt_string(0)?.as_deref(),
                limit,
                opt_string(2)?.as_deref(),
            )
        }
        ("tools", "call") => tools::call(binding, &string(0)?, &string(1)?),
        ("service", "fetch") => {
            let headers: Array<'js> = args.get(2)?;
            let body: Value<'js> = args.get(3)?;
            let body = if body.is_null() || body.is_undefined() {
                None
            } else {
                Some(crate::natives::bytes_of(ctx, &body)?.to_vec())
            };
            services::fetch(
                binding,
                &HttpRequest {
                    method: string(0)?,
                    url: string(1)?,
                    headers: crate::natives::pairs_from_js(&headers)?,
                    body,
                },
            )
        }
        ("files", "read") => files::read(binding, &string(0)?),
        ("files", "write") => {
            let data: Value<'js> = args.get(1)?;
            let bytes = crate::natives::bytes_of(ctx, &data)?.to_vec();
            files::write(binding, &string(0)?, &bytes)
        }
        ("files", "list") => files::list_dir(binding, &string(0)?),
        ("files", "delete") => files::delete(binding, &string(0)?),
        _ => return Err(bad("no such call")),
    };
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    PENDING.with(|p| p.borrow_mut().insert(id, call));
    Ok(id)
}

pub fn has_pending() -> bool {
    PENDING.with(|p| !p.borrow().is_empty())
}

/// Drop everything in flight (the call into the guest is over): the host aborts those calls.
pub fn clear() {
    PENDING.with(|p| p.borrow_mut().clear());
}

/// A pollable for every call in flight.
pub fn pollables() -> Vec<(u32, Pollable)> {
    PENDING.with(|p| {
        p.borrow()
            .iter()
            .map(|(id, c)| (*id, c.subscribe()))
            .collect()
    })
}

/// The outcome of call `id` if it has finished (it is then forgotten).
pub fn take(id: u32) -> Option<std::result::Result<Reply, String>> {
    let outcome = PENDING.with(|p| p.borrow().get(&id).and_then(|c| c.take()))?;
    PENDING.with(|p| p.borrow_mut().remove(&id));
    Some(outcome)
}

/// A reply as the prelude takes it: `null`, a JSON string, a `Uint8Array`, or
/// `[Uint8Array, metadataJson | null]` for a KV entry.
pub fn reply_to_js<'js>(ctx: &Ctx<'js>, reply: Reply) -> Result<Value<'js>> {
    use javy::quickjs::TypedArray;
    Ok(match reply {
        Reply::None => Value::new_null(ctx.clone()),
        Reply::Json(text) => javy::quickjs::String::from_str(ctx.clone(), &text)?.into_value(),
        Reply::Bytes(bytes) => TypedArray::<u8>::new(ctx.clone(), bytes)?.into_value(),
        Reply::Entry(entry) => {
            let pair = Array::new(ctx.clone())?;
            pair.set(0, TypedArray::<u8>::new(ctx.clone(), entry.value)?)?;
            match entry.metadata_json {
                Some(m) => pair.set(1, m)?,
                None => pair.set(1, Value::new_null(ctx.clone()))?,
            }
            pair.into_value()
        }
        Reply::Response(r) => {
            let out = Array::new(ctx.clone())?;
            out.set(0, r.status)?;
            out.set(1, r.status_text)?;
            out.set(2, crate::natives::pairs_to_js(ctx, &r.headers)?)?;
            out.set(3, TypedArray::<u8>::new(ctx.clone(), r.body)?)?;
            out.into_value()
        }
    })
}
