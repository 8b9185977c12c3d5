//! Glue for the `standalone` world: a `wasi:http/proxy` component holding one worker.
//!
//! At build time (`wasm-sandbox compile`) wizer calls `wizer-initialize`, which reads the worker
//! bundle from stdin and evaluates it; the snapshot therefore starts with the modules loaded.
//! Each `wasi:http/incoming-handler.handle` call runs the worker's `fetch`.

use std::io::Read;

use crate::{Failure, ModuleType, Request, Source, SourceModule};

wit_bindgen::generate!({
    world: "standalone",
    path: "../wit",
    generate_all,
});

use exports::wasi::http::incoming_handler::Guest as HandlerGuest;
use wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam, Scheme,
};

struct Component;
export!(Component);

/// Console lines go to stderr, `[level] message`.
pub fn console(level: &str, message: &str) {
    eprintln!("[{level}] {message}");
}

/// The bundle format `wasm-sandbox compile` writes to stdin (all integers u32 little-endian):
/// `main-name`, `env-json`, `count`, then per module `name`, `kind` (0 js, 1 text, 2 json,
/// 3 data), `content`; every string/bytes value is `len` followed by the bytes.
fn read_bundle(bytes: &[u8]) -> Result<Source, String> {
    struct Cursor<'a>(&'a [u8]);
    impl<'a> Cursor<'a> {
        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            if n > self.0.len() {
                return Err("truncated bundle".into());
            }
            let (head, tail) = self.0.split_at(n);
            self.0 = tail;
            Ok(head)
        }
        fn len(&mut self) -> Result<usize, String> {
            let b = self.take(4)?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        }
        fn blob(&mut self) -> Result<Vec<u8>, String> {
            let n = self.len()?;
            Ok(self.take(n)?.to_vec())
        }
        fn text(&mut self) -> Result<String, String> {
            String::from_utf8(self.blob()?).map_err(|_| "bundle string is not UTF-8".to_string())
        }
    }
    let mut c = Cursor(bytes);
    let main_module = c.text()?;
    let env_json = c.text()?;
    let count = c.len()?;
    let mut modules = Vec::with_capacity(count.min(4096));
    for _ in 0..count {
        let name = c.text()?;
        let kind = match c.take(1)?[0] {
            0 => ModuleType::Js,
            1 => ModuleType::Text,
            2 => ModuleType::Json,
            3 => ModuleType::Data,
            k => return Err(format!("unknown module kind {k}")),
        };
        let content = c.blob()?;
        modules.push(SourceModule {
            name,
            kind,
            content,
        });
    }
    Ok(Source {
        main_module,
        modules,
        env_json,
        // A compiled component has no host to lend it bindings.
        bindings: Vec::new(),
    })
}

fn report(f: &Failure) -> String {
    match &f.stack {
        Some(s) => format!("{}\n{s}", f.message),
        None => f.message.clone(),
    }
}

impl Guest for Component {
    fn wizer_initialize() {
        crate::initialize();
        let mut bundle = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bundle)
            .expect("reading the worker bundle from stdin");
        let source = read_bundle(&bundle).unwrap_or_else(|e| panic!("bad worker bundle: {e}"));
        if let Err(f) = crate::load(&source) {
            eprintln!("error: {}", report(&f));
            std::process::abort();
        }
        // Restored instances must reseed, whatever the module code did at build time.
        crate::unseed();
    }
}

fn method_name(m: &Method) -> String {
    match m {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(s) => s.clone(),
    }
}

fn read_request(request: &IncomingRequest) -> Result<Request, String> {
    let scheme = match request.scheme() {
        Some(Scheme::Https) => "https".to_string(),
        Some(Scheme::Other(s)) => s,
        _ => "http".to_string(),
    };
    let authority = request.authority().unwrap_or_else(|| "worker".into());
    let path = request.path_with_query().unwrap_or_else(|| "/".into());
    let headers = request
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = request
        .consume()
        .map_err(|_| "request body already consumed")?;
    let stream = incoming
        .stream()
        .map_err(|_| "request body stream unavailable")?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(wasi::io::streams::StreamError::Closed) => break,
            Err(e) => return Err(format!("reading the request body: {e:?}")),
        }
    }
    drop(stream);
    Ok(Request {
        method: method_name(&request.method()),
        url: format!("{scheme}://{authority}{path}"),
        headers,
        body: if body.is_empty() { None } else { Some(body) },
        stream: None,
    })
}

fn respond(out: ResponseOutparam, status: u16, headers: &[(String, String)], body: &[u8]) {
    let fields = Fields::new();
    for (k, v) in headers {
        let _ = fields.append(k, v.as_bytes());
    }
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(status);
    let outgoing = response.body().expect("response body");
    ResponseOutparam::set(out, Ok(response));
    {
        let stream = outgoing.write().expect("response body stream");
        for chunk in body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                return;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

impl HandlerGuest for Component {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let request = match read_request(&request) {
            Ok(r) => r,
            Err(e) => {
                return respond(
                    out,
                    400,
                    &[("content-type".into(), "text/plain".into())],
                    e.as_bytes(),
                )
            }
        };
        // A stream body goes out as the script produces it; a whole one through `respond`.
        match crate::fetch_to(None, None, request, Some(out)) {
            (Ok(crate::Reply::Whole(r)), Some(out)) => respond(out, r.status, &r.headers, &r.body),
            (Err(f), out) => {
                let msg = report(&f);
                console("error", &msg);
                // With the head already out (a stream cut short) the body ends broken: there is
                // nothing more to send.
                if let Some(out) = out {
                    respond(
                        out,
                        500,
                        &[("content-type".into(), "text/plain;charset=UTF-8".into())],
                        msg.as_bytes(),
                    );
                }
            }
            _ => {}
        }
    }
}
