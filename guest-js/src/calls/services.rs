//! Service bindings (`env.OTHER`, the WIT `services` interface): `native.services.fetch(binding,
//! {method, url, headers: [[name, value], ...], body: Uint8Array | null})` returns a call id (see
//! [`super`]); the JS API over it is `js/service.js`.

use javy::quickjs::{Ctx, Function, Object, Result, Value};

use super::{start, Args};
use crate::engine_world::sandbox::worker::services;
use crate::engine_world::sandbox::worker::types::HttpRequest;

pub(super) fn natives<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set(
        "fetch",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, request: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "services.fetch");
                let binding = a.string("binding", &binding)?;
                let r = a.options("request", &request)?;
                let headers: Value<'js> = r.get("headers")?;
                let headers = match headers.as_array() {
                    Some(pairs) => crate::natives::pairs_from_js(pairs)?,
                    None if headers.is_undefined() => Vec::new(),
                    None => return Err(a.error("headers must be an array of [name, value] pairs")),
                };
                let request = HttpRequest {
                    method: a.string("method", &r.get("method")?)?,
                    url: a.string("url", &r.get("url")?)?,
                    headers,
                    body: a.opt_bytes("body", &r.get("body")?)?,
                };
                Ok(start(services::fetch(&binding, &request)))
            },
        )?,
    )?;
    Ok(o)
}
