//! The native helpers the JS prelude is built on. Everything here is reachable only through the
//! prelude's closures (the `native` object is never exposed as a global).

use javy::quickjs::{
    function::Opt, ArrayBuffer, Ctx, Exception, Function, Object, Result, TypedArray, Value,
};

/// Build the `native` object handed to the prelude's setup function: one group of natives per
/// area, then the bindings' (`calls`, engine world only) and the crypto primitives.
pub fn register<'js>(ctx: &Ctx<'js>) -> Result<Object<'js>> {
    let native = Object::new(ctx.clone())?;
    basics(ctx, &native)?;
    text(ctx, &native)?;
    urls(ctx, &native)?;
    http(ctx, &native)?;
    respond(ctx, &native)?;
    async_context(ctx, &native)?;
    builtins(ctx, &native)?;
    #[cfg(not(feature = "standalone"))]
    crate::calls::register(ctx, &native)?;
    crate::crypto::register(ctx, &native)?;
    Ok(native)
}

/// Console lines, the monotonic clock, random bytes.
fn basics<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    native.set(
        "console",
        Function::new(ctx.clone(), |level: String, message: String| {
            crate::console(&level, &message);
        })?,
    )?;

    // Monotonic milliseconds (timers, performance.now). Never snapshotted: read on each call.
    native.set(
        "now",
        Function::new(ctx.clone(), || {
            let nanos = monotonic_nanos();
            nanos as f64 / 1_000_000.0
        })?,
    )?;

    native.set(
        "randomFill",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, target: TypedArray<'js, u8>| -> Result<()> {
                let raw = target
                    .as_raw()
                    .ok_or_else(|| Exception::throw_type(&ctx, "buffer is detached"))?;
                // SAFETY: the typed array is alive for this call and we are the only code touching
                // its bytes while filling them (single-threaded guest).
                let bytes = unsafe { std::slice::from_raw_parts_mut(raw.ptr.as_ptr(), raw.len) };
                getrandom::fill(bytes).map_err(|e| {
                    Exception::throw_internal(&ctx, &format!("random source failed: {e}"))
                })
            },
        )?,
    )?;
    Ok(())
}

/// UTF-8 encoding and decoding (TextEncoder, TextDecoder, bodies).
fn text<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    native.set(
        "utf8Encode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, text: String| -> Result<TypedArray<'js, u8>> {
                // The prelude passes well-formed strings (String.prototype.toWellFormed).
                TypedArray::new(ctx, text.into_bytes())
            },
        )?,
    )?;

    native.set(
        "utf8Decode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, data: Value<'js>, fatal: Opt<bool>| -> Result<String> {
                let bytes = bytes_of(&ctx, &data)?;
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                if fatal.0.unwrap_or(false) {
                    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
                        Exception::throw_type(
                            &ctx,
                            "The encoded data was not valid for encoding utf-8",
                        )
                    })
                } else {
                    Ok(String::from_utf8_lossy(bytes).into_owned())
                }
            },
        )?,
    )?;
    Ok(())
}

/// URL parsing and the URL setters (`url` crate).
fn urls<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    // WHATWG URL parsing via the `url` crate: [href, protocol, username, password, host,
    // hostname, port, pathname, search, hash, origin], or null when the input is not a URL.
    native.set(
        "urlParse",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, input: String, base: Opt<String>| -> Result<Value<'js>> {
                let parsed = match base.0 {
                    Some(base) => url::Url::parse(&base).and_then(|b| b.join(&input)),
                    None => url::Url::parse(&input),
                };
                match parsed {
                    Ok(u) => url_parts(&ctx, &u),
                    Err(_) => Ok(Value::new_null(ctx)),
                }
            },
        )?,
    )?;

    // The serialized (normalized) form of an absolute URL, or null: what Request needs.
    native.set(
        "urlHref",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, input: String| -> Result<Value<'js>> {
                match url::Url::parse(&input) {
                    Ok(u) => Ok(javy::quickjs::String::from_str(ctx, u.as_str())?.into_value()),
                    Err(_) => Ok(Value::new_null(ctx)),
                }
            },
        )?,
    )?;

    // Set one component of a URL (the URL setters): returns the new parts, or null when the
    // setter refuses the value (as the WHATWG setters silently do).
    native.set(
        "urlSet",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, href: String, part: String, value: String| -> Result<Value<'js>> {
                let Ok(mut u) = url::Url::parse(&href) else {
                    return Ok(Value::new_null(ctx));
                };
                let ok = match part.as_str() {
                    "href" => match url::Url::parse(&value) {
                        Ok(n) => {
                            u = n;
                            true
                        }
                        Err(_) => {
                            return Err(Exception::throw_type(
                                &ctx,
                                &format!("Invalid URL: {value}"),
                            ))
                        }
                    },
                    // The setter takes the scheme up to the first ':' (`https:foo` sets `https`).
                    "protocol" => u.set_scheme(value.split(':').next().unwrap_or("")).is_ok(),
                    "username" => u.set_username(&value).is_ok(),
                    "password" => u
                        .set_password(Some(&value).filter(|v| !v.is_empty()).map(|v| &**v))
                        .is_ok(),
                    "host" => url::quirks::set_host(&mut u, &value).is_ok(),
                    "hostname" => url::quirks::set_hostname(&mut u, &value).is_ok(),
                    "port" => url::quirks::set_port(&mut u, &value).is_ok(),
                    "pathname" => {
                        url::quirks::set_pathname(&mut u, &value);
                        true
                    }
                    "search" => {
                        url::quirks::set_search(&mut u, &value);
                        true
                    }
                    "hash" => {
                        url::quirks::set_hash(&mut u, &value);
                        true
                    }
                    _ => false,
                };
                if ok {
                    url_parts(&ctx, &u)
                } else {
                    Ok(Value::new_null(ctx))
                }
            },
        )?,
    )?;
    Ok(())
}

/// Outbound HTTP for `fetch()` (see `outbound`).
fn http<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    // Outbound HTTP (fetch): start a request, get its id; the event loop settles it.
    native.set(
        "httpSend",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             method: String,
             url: String,
             headers: javy::quickjs::Array<'js>,
             body: Value<'js>|
             -> Result<u32> {
                let pairs = pairs_from_js(&headers)?;
                let bytes = if body.is_null() || body.is_undefined() {
                    None
                } else {
                    Some(bytes_of(&ctx, &body)?)
                };
                crate::outbound::send(&method, &url, &pairs, bytes)
                    .map_err(|m| Exception::throw_type(&ctx, &m))
            },
        )?,
    )?;
    native.set(
        "httpCancel",
        Function::new(ctx.clone(), |id: u32| crate::outbound::cancel(id))?,
    )?;
    // Read a response body still in the host: the next chunk, or (`all`) everything to its end;
    // the event loop settles the read (`bodySettle`). False when there is no such body.
    native.set(
        "httpBodyRead",
        Function::new(ctx.clone(), |id: u32, all: bool| {
            crate::outbound::want(id, all)
        })?,
    )?;
    Ok(())
}

/// A streamed response body (see `respond`).
fn respond<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    // A streamed response body (see `respond`): write what the host takes now (the count, or
    // -1 when the client has gone away), wait for room, end the body.
    native.set(
        "respondWrite",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, chunk: TypedArray<'js, u8>, offset: usize, call: u32| -> Result<f64> {
                let bytes = chunk
                    .as_bytes()
                    .ok_or_else(|| Exception::throw_type(&ctx, "the chunk's buffer is detached"))?;
                let rest = bytes.get(offset..).unwrap_or(&[]);
                match crate::respond::write(call, rest) {
                    Ok(Some(n)) => Ok(n as f64),
                    Ok(None) => Ok(-1.0),
                    Err(m) => Err(Exception::throw_type(&ctx, &m)),
                }
            },
        )?,
    )?;
    native.set(
        "respondWait",
        Function::new(ctx.clone(), crate::respond::wait)?,
    )?;
    native.set(
        "respondSplice",
        Function::new(ctx.clone(), crate::respond::splice)?,
    )?;
    native.set(
        "respondFinish",
        Function::new(ctx.clone(), crate::respond::finish)?,
    )?;
    Ok(())
}

/// The async context AsyncLocalStorage and the timers carry.
fn async_context<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    // The async context (our QuickJS patch, quickjs-sys/PATCHES.md): one opaque value that
    // follows promise reactions, `await` and queued jobs. AsyncLocalStorage and the timers carry
    // it; nothing else reads it.
    native.set(
        "asyncContext",
        Function::new(ctx.clone(), |ctx: Ctx<'js>| -> Value<'js> {
            // SAFETY: the context is alive for this call; Get returns a new reference, which
            // `from_raw` takes over.
            unsafe {
                let raw = javy::quickjs::qjs::JS_GetAsyncContext(ctx.as_raw().as_ptr());
                Value::from_raw(ctx, raw)
            }
        })?,
    )?;
    native.set(
        "setAsyncContext",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, value: Value<'js>| {
            // SAFETY: Set takes ownership of one reference: a new one, made here.
            unsafe {
                let raw = ctx.as_raw().as_ptr();
                let owned = javy::quickjs::qjs::JS_DupValue(raw, value.as_raw());
                javy::quickjs::qjs::JS_SetAsyncContext(raw, owned);
            }
        })?,
    )?;
    Ok(())
}

/// Built-in modules compiled on first use (see `builtins`).
fn builtins<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> Result<()> {
    // The factory of a built-in (`node:buffer`, ...), compiled now: see `builtins`.
    native.set(
        "builtin",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, name: String| -> Result<Value<'js>> {
                match crate::builtins::source(&name) {
                    Some(code) => {
                        let file = std::ffi::CString::new(name).unwrap_or_default();
                        crate::eval_stripped(&ctx, code, &file)
                    }
                    None => Ok(Value::new_null(ctx)),
                }
            },
        )?,
    )?;
    Ok(())
}

fn url_parts<'js>(ctx: &Ctx<'js>, u: &url::Url) -> Result<Value<'js>> {
    use url::quirks;
    let parts = javy::quickjs::Array::new(ctx.clone())?;
    let values = [
        quirks::href(u),
        quirks::protocol(u),
        quirks::username(u),
        quirks::password(u),
        quirks::host(u),
        quirks::hostname(u),
        quirks::port(u),
        quirks::pathname(u),
        quirks::search(u),
        quirks::hash(u),
    ];
    for (i, v) in values.iter().enumerate() {
        parts.set(i, *v)?;
    }
    // A blob: URL has an origin only when it wraps an http(s) URL (the url crate also gives
    // one for other inner schemes).
    let origin = match (u.scheme(), url::Url::parse(u.path())) {
        ("blob", Ok(inner)) if !matches!(inner.scheme(), "http" | "https") => "null".to_owned(),
        _ => quirks::origin(u),
    };
    parts.set(values.len(), origin)?;
    Ok(parts.into_value())
}

/// Header pairs as the prelude passes them: `[[name, value], ...]`.
pub fn pairs_to_js<'js>(
    ctx: &Ctx<'js>,
    pairs: &[(String, String)],
) -> Result<javy::quickjs::Array<'js>> {
    let out = javy::quickjs::Array::new(ctx.clone())?;
    for (i, (k, v)) in pairs.iter().enumerate() {
        let pair = javy::quickjs::Array::new(ctx.clone())?;
        pair.set(0, k.as_str())?;
        pair.set(1, v.as_str())?;
        out.set(i, pair)?;
    }
    Ok(out)
}

/// The reverse of [`pairs_to_js`].
pub fn pairs_from_js<'js>(pairs: &javy::quickjs::Array<'js>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs.iter::<javy::quickjs::Array<'js>>() {
        let pair = pair?;
        out.push((pair.get::<String>(0)?, pair.get::<String>(1)?));
    }
    Ok(out)
}

/// The bytes behind an ArrayBuffer or any ArrayBuffer view (typed array, DataView).
pub(crate) fn bytes_of<'a, 'js>(ctx: &Ctx<'js>, data: &'a Value<'js>) -> Result<&'a [u8]> {
    if data.is_undefined() || data.is_null() {
        return Ok(&[]);
    }
    if let Some(obj) = data.as_object() {
        if let Some(ab) = obj.as_array_buffer() {
            return ab
                .as_bytes()
                .ok_or_else(|| Exception::throw_type(ctx, "buffer is detached"));
        }
        if let Ok(view) = TypedArray::<u8>::from_object(obj.clone()) {
            let raw = view
                .as_raw()
                .ok_or_else(|| Exception::throw_type(ctx, "buffer is detached"))?;
            // SAFETY: the view (and its buffer) outlive the borrow of `data`.
            return Ok(unsafe { std::slice::from_raw_parts(raw.ptr.as_ptr(), raw.len) });
        }
        // Other views (Uint16Array, DataView...): reach their buffer through JS properties.
        let buffer: Option<ArrayBuffer<'js>> = obj.get("buffer").ok();
        let offset: Option<usize> = obj.get("byteOffset").ok();
        let length: Option<usize> = obj.get("byteLength").ok();
        if let (Some(buffer), Some(offset), Some(length)) = (buffer, offset, length) {
            let raw = buffer
                .as_raw()
                .ok_or_else(|| Exception::throw_type(ctx, "buffer is detached"))?;
            if offset.checked_add(length).is_some_and(|end| end <= raw.len) {
                // SAFETY: bounds checked above; the buffer outlives this call.
                return Ok(unsafe {
                    std::slice::from_raw_parts(raw.ptr.as_ptr().add(offset), length)
                });
            }
        }
    }
    Err(Exception::throw_type(
        ctx,
        "expected an ArrayBuffer, a TypedArray or a DataView",
    ))
}

thread_local! {
    /// Origin of the monotonic readings; reset after every snapshot restore (`reset_clock`).
    static ORIGIN: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// Start the monotonic clock afresh (called once per restored instance).
pub fn reset_clock() {
    ORIGIN.with(|o| o.set(Some(std::time::Instant::now())));
}

/// Monotonic clock reading in nanoseconds since this instance's origin (wasi:clocks via std).
pub fn monotonic_nanos() -> u64 {
    ORIGIN.with(|o| {
        let origin = o.get().unwrap_or_else(|| {
            let now = std::time::Instant::now();
            o.set(Some(now));
            now
        });
        origin.elapsed().as_nanos() as u64
    })
}
