//! KV namespaces (`env.NOTES`, the WIT `kv` interface): `native.kv.get(binding, key)`,
//! `put(binding, key, bytes, {expirationTtl, expiration, metadataJson})`, `delete(binding, key)`,
//! `listKeys(binding, {prefix, limit, cursor})`. Each returns a call id (see [`super`]); the JS
//! API over them (`KVNamespace`) is `js/kv.js`.

use javy::quickjs::{Ctx, Function, Object, Result, Value};

use super::{start, Args};
use crate::engine_world::sandbox::worker::kv;

pub(super) fn natives<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set(
        "get",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, key: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "kv.get");
                let (binding, key) = (a.string("binding", &binding)?, a.string("key", &key)?);
                Ok(start(kv::get(&binding, &key)))
            },
        )?,
    )?;
    o.set(
        "put",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             binding: Value<'js>,
             key: Value<'js>,
             value: Value<'js>,
             options: Value<'js>|
             -> Result<u32> {
                let a = Args::new(&ctx, "kv.put");
                let binding = a.string("binding", &binding)?;
                let key = a.string("key", &key)?;
                let value = a.bytes("value", &value)?;
                let o = a.options("options", &options)?;
                let options = kv::PutOptions {
                    expiration_ttl: a.opt_whole("expirationTtl", &o.get("expirationTtl")?)?,
                    expiration: a.opt_whole("expiration", &o.get("expiration")?)?,
                    metadata_json: a.opt_string("metadataJson", &o.get("metadataJson")?)?,
                };
                Ok(start(kv::put(&binding, &key, &value, &options)))
            },
        )?,
    )?;
    o.set(
        "delete",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, key: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "kv.delete");
                let (binding, key) = (a.string("binding", &binding)?, a.string("key", &key)?);
                Ok(start(kv::delete(&binding, &key)))
            },
        )?,
    )?;
    o.set(
        "listKeys",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, options: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "kv.listKeys");
                let binding = a.string("binding", &binding)?;
                let o = a.options("options", &options)?;
                let prefix = a.opt_string("prefix", &o.get("prefix")?)?;
                let limit = a
                    .opt_whole("limit", &o.get("limit")?)?
                    .map(|n| n.min(u32::MAX as u64) as u32);
                let cursor = a.opt_string("cursor", &o.get("cursor")?)?;
                Ok(start(kv::list_keys(
                    &binding,
                    prefix.as_deref(),
                    limit,
                    cursor.as_deref(),
                )))
            },
        )?,
    )?;
    Ok(o)
}
