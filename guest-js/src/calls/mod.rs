//! Calls into bindings (`env.KV`, `env.TOOLS`...), the capabilities the host lends a worker.
//!
//! The natives themselves are generated from `wit/worker.wit` at build time (`build.rs`): every
//! function of a binding interface (`kv`, `tools`, `services`, `files`) is
//! `native.<interface>.<function>(...)` in camelCase (`native.kv.listKeys(binding, prefix, limit,
//! cursor)`), taking the WIT parameters in order, a record as an object with camelCase fields.
//! The prelude's matching file (`js/kv.js`, ...) builds the JS API over them, so adding a method
//! to a binding touches its WIT interface, its JS file and the host's folder (`host/kv/`), and
//! nothing here.
//!
//! What is shared lives here: the table of calls in flight. A native starts its call without
//! blocking ([`start`] returns an id at once); the event loop settles it when the host's
//! `pending-call` is ready ([`pollables`], [`take`], [`reply_to_js`]), so calls made together
//! overlap (the host runs each on its own task).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use javy::quickjs::{Array, Ctx, Exception, Function, Object, Result, TypedArray, Value};

use crate::engine_world::sandbox::worker::calls::{PendingCall, Reply};
use crate::engine_world::wasi::io::poll::Pollable;

thread_local! {
    static PENDING: RefCell<BTreeMap<u32, PendingCall>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

// `register` and one `<interface>_natives` per binding interface, plus a `FromArg` for each record
// they take.
include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

/// Keep `call` in flight; its id is what the prelude waits on (`callSettle`).
fn start(call: PendingCall) -> u32 {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    PENDING.with(|p| p.borrow_mut().insert(id, call));
    id
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

/// A reply as the prelude takes it: `null`, a JSON string, a `Uint8Array`,
/// `[Uint8Array, metadataJson | null]` for a KV entry, or
/// `[status, statusText, [[name, value], ...], Uint8Array]` for a service's response.
pub fn reply_to_js<'js>(ctx: &Ctx<'js>, reply: Reply) -> Result<Value<'js>> {
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

/// Typed conversion of a native's arguments: a value of the wrong type is a `TypeError` that
/// names the call and the argument (`kv.put: key must be a string`). The prelude checks what
/// scripts pass (with the Workers messages) before it calls a native; these checks only guard
/// the boundary.
struct Args<'a, 'js> {
    ctx: &'a Ctx<'js>,
    /// `kv.put`, ...
    call: &'static str,
}

impl<'a, 'js> Args<'a, 'js> {
    fn new(ctx: &'a Ctx<'js>, call: &'static str) -> Self {
        Args { ctx, call }
    }

    fn error(&self, what: &str) -> javy::quickjs::Error {
        Exception::throw_type(self.ctx, &format!("{}: {what}", self.call))
    }

    /// A whole number from 0 to `max`.
    fn whole(&self, name: &str, v: &Value<'js>, max: f64) -> Result<f64> {
        match v.as_number() {
            Some(n) if n.fract() == 0.0 && (0.0..=max).contains(&n) => Ok(n),
            _ => Err(self.error(&format!("{name} must be a whole number from 0 to {max}"))),
        }
    }

    /// A record's object; `null` / `undefined` is an empty one.
    fn object(&self, name: &str, v: &Value<'js>) -> Result<Object<'js>> {
        if v.is_null() || v.is_undefined() {
            return Object::new(self.ctx.clone());
        }
        v.as_object()
            .cloned()
            .ok_or_else(|| self.error(&format!("{name} must be an object")))
    }
}

/// A WIT argument from its JS value (`name` is the parameter or field, for the error).
trait FromArg<'js>: Sized {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self>;
}

impl<'js> FromArg<'js> for String {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        match v.as_string() {
            Some(s) => s.to_string(),
            None => Err(a.error(&format!("{name} must be a string"))),
        }
    }
}

impl<'js> FromArg<'js> for bool {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        v.as_bool()
            .ok_or_else(|| a.error(&format!("{name} must be a boolean")))
    }
}

impl<'js> FromArg<'js> for u32 {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        Ok(a.whole(name, v, u32::MAX as f64)? as u32)
    }
}

/// Up to 2^53 (9e15 here): what a JS number holds exactly.
impl<'js> FromArg<'js> for u64 {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        Ok(a.whole(name, v, 9.0e15)? as u64)
    }
}

/// `null` and `undefined` are none.
impl<'js, T: FromArg<'js>> FromArg<'js> for Option<T> {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        T::from_arg(a, name, v).map(Some)
    }
}

/// The bytes of an ArrayBuffer or an ArrayBuffer view.
impl<'js> FromArg<'js> for Vec<u8> {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        if !v.is_object() {
            return Err(a.error(&format!(
                "{name} must be an ArrayBuffer or an ArrayBufferView"
            )));
        }
        Ok(crate::natives::bytes_of(a.ctx, v)?.to_vec())
    }
}

/// Header pairs, `[[name, value], ...]`; `undefined` is none.
impl<'js> FromArg<'js> for Vec<(String, String)> {
    fn from_arg(a: &Args<'_, 'js>, name: &str, v: &Value<'js>) -> Result<Self> {
        match v.as_array() {
            Some(pairs) => crate::natives::pairs_from_js(pairs),
            None if v.is_undefined() => Ok(Vec::new()),
            None => Err(a.error(&format!("{name} must be an array of [name, value] pairs"))),
        }
    }
}
