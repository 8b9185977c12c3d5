//! Module resolution: a QuickJS module loader over the worker's own module map.
//!
//! The main module is declared by `load`; each `import` QuickJS meets is normalized (relative
//! specifiers against the importing module's name, by QuickJS's default normalizer) and then
//! compiled here from the worker's sources, on demand and in any order (cycles included).
//! Nothing outside the worker's modules can be imported.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};

use javy::quickjs::qjs;

thread_local! {
    /// Sources (already turned into JS for text/json/data modules) by module name.
    static SOURCES: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// Make `sources` importable and install the loader on `ctx`'s runtime.
pub fn install(ctx: &javy::quickjs::Ctx<'_>, sources: HashMap<String, String>) {
    SOURCES.with(|s| *s.borrow_mut() = sources);
    // SAFETY: plain FFI on the live runtime of `ctx`; the loader only reads SOURCES.
    unsafe {
        let rt = qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        qjs::JS_SetModuleLoaderFunc(rt, None, Some(load_module), std::ptr::null_mut());
    }
}

/// `cloudflare:workers`: the classes the prelude defines, re-exported.
const CLOUDFLARE_WORKERS: &str = "const i = globalThis[Symbol.for('sandbox.internals')];\n\
export const WorkerEntrypoint = i.WorkerEntrypoint;\n\
export const RpcTarget = i.RpcTarget;\n";

unsafe extern "C" fn load_module(
    ctx: *mut qjs::JSContext,
    module_name: *const c_char,
    _opaque: *mut c_void,
) -> *mut qjs::JSModuleDef {
    // SAFETY: QuickJS passes a valid NUL-terminated name.
    let name = unsafe { CStr::from_ptr(module_name) }
        .to_string_lossy()
        .into_owned();
    let source = match name.as_str() {
        // Cloudflare's built-in module, so that their scripts run unchanged.
        "cloudflare:workers" => Some(CLOUDFLARE_WORKERS.to_owned()),
        _ => SOURCES.with(|s| s.borrow().get(&name).cloned()),
    };
    let Some(source) = source else {
        let msg = CString::new(format!(
            "could not load module '{name}': no module of that name was provided with the worker"
        ))
        .unwrap_or_default();
        // SAFETY: "%s" with a valid C string.
        unsafe { qjs::JS_ThrowReferenceError(ctx, c"%s".as_ptr(), msg.as_ptr()) };
        return std::ptr::null_mut();
    };
    let Ok(csource) = CString::new(source) else {
        let msg = CString::new(format!("module '{name}' contains a NUL byte")).unwrap_or_default();
        // SAFETY: as above.
        unsafe { qjs::JS_ThrowSyntaxError(ctx, c"%s".as_ptr(), msg.as_ptr()) };
        return std::ptr::null_mut();
    };
    let cname = CString::new(name).unwrap_or_default();
    // SAFETY: compile-only evaluation of a NUL-terminated source; on success the value holds
    // the module definition, which the runtime keeps in its module list (as quickjs-libc does).
    unsafe {
        let value = qjs::JS_Eval(
            ctx,
            csource.as_ptr(),
            csource.as_bytes().len() as _,
            cname.as_ptr(),
            (qjs::JS_EVAL_TYPE_MODULE | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32,
        );
        if qjs::JS_IsException(value) {
            return std::ptr::null_mut();
        }
        let module = qjs::JS_VALUE_GET_PTR(value) as *mut qjs::JSModuleDef;
        qjs::JS_FreeValue(ctx, value);
        module
    }
}
