//! Code Mode tools (`env.TOOLS`, the WIT `tools` interface): `native.tools.call(binding, tool,
//! inputJson)` returns a call id (see [`super`]); the JS API over it is `js/tools.js`.

use javy::quickjs::{Ctx, Function, Object, Result, Value};

use super::{start, Args};
use crate::engine_world::sandbox::worker::tools;

pub(super) fn natives<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set(
        "call",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             binding: Value<'js>,
             tool: Value<'js>,
             input_json: Value<'js>|
             -> Result<u32> {
                let a = Args::new(&ctx, "tools.call");
                let binding = a.string("binding", &binding)?;
                let tool = a.string("tool", &tool)?;
                let input_json = a.string("inputJson", &input_json)?;
                Ok(start(tools::call(&binding, &tool, &input_json)))
            },
        )?,
    )?;
    Ok(o)
}
