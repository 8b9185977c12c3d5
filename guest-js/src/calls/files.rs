//! Files (`env.FILES`, the WIT `files` interface): `native.files.read(binding, path)`,
//! `write(binding, path, bytes)`, `listDir(binding, path)`, `delete(binding, path)`. Each returns
//! a call id (see [`super`]); the JS API over them is `js/files.js`.

use javy::quickjs::{Ctx, Function, Object, Result, Value};

use super::{start, Args};
use crate::engine_world::sandbox::worker::files;

pub(super) fn natives<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set(
        "read",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, path: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "files.read");
                let (binding, path) = (a.string("binding", &binding)?, a.string("path", &path)?);
                Ok(start(files::read(&binding, &path)))
            },
        )?,
    )?;
    o.set(
        "write",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             binding: Value<'js>,
             path: Value<'js>,
             data: Value<'js>|
             -> Result<u32> {
                let a = Args::new(&ctx, "files.write");
                let (binding, path) = (a.string("binding", &binding)?, a.string("path", &path)?);
                let data = a.bytes("data", &data)?;
                Ok(start(files::write(&binding, &path, &data)))
            },
        )?,
    )?;
    o.set(
        "listDir",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, path: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "files.listDir");
                let (binding, path) = (a.string("binding", &binding)?, a.string("path", &path)?);
                Ok(start(files::list_dir(&binding, &path)))
            },
        )?,
    )?;
    o.set(
        "delete",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binding: Value<'js>, path: Value<'js>| -> Result<u32> {
                let a = Args::new(&ctx, "files.delete");
                let (binding, path) = (a.string("binding", &binding)?, a.string("path", &path)?);
                Ok(start(files::delete(&binding, &path)))
            },
        )?,
    )?;
    Ok(o)
}
