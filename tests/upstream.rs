//! A real HTTP server on 127.0.0.1 for outbound tests: what workers `fetch()`.
//!
//! Routes: `/hello` (text + `x-upstream: yes`), `/echo` (JSON of method, path, headers, body),
//! `/slow?ms=N` (answers after N ms), `/redirect?to=URL[&status=S]`, `/big?n=N` (N bytes),
//! `/status?code=S`. Every request is recorded ([`Upstream::seen`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// One request the upstream received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A running upstream server; stops when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    inflight: Arc<Mutex<(usize, usize)>>,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The most `/slow` requests that were in progress at the same time.
    pub fn max_concurrent(&self) -> usize {
        self.inflight.lock().unwrap().1
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Start one on an ephemeral loopback port.
    pub async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let inflight: Arc<Mutex<(usize, usize)>> = Arc::default();
        let log = seen.clone();
        let gauge = inflight.clone();
        let accepted: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let log = log.clone();
                let gauge = gauge.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(req, log.clone(), gauge.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Upstream {
            addr,
            seen,
            inflight,
            accepted,
            task,
        }
    }
}

fn query(uri: &http::Uri, key: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.replace("%3A", ":").replace("%2F", "/"))
    })
}

async fn answer(
    req: http::Request<hyper::body::Incoming>,
    log: Arc<Mutex<Vec<Seen>>>,
    gauge: Arc<Mutex<(usize, usize)>>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    log.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: headers.clone(),
        body: body.to_vec(),
    });
    let reply = |status: u16, body: Bytes| {
        http::Response::builder()
            .status(status)
            .header("x-upstream", "yes")
            .body(Full::new(body))
            .unwrap()
    };
    Ok(match parts.uri.path() {
        "/hello" => reply(200, Bytes::from_static(b"hello from upstream")),
        "/echo" => {
            let v = serde_json::json!({
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "query": parts.uri.query(),
                "headers": headers.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect::<Vec<_>>(),
                "body": String::from_utf8_lossy(&body),
            });
            let mut r = reply(200, Bytes::from(v.to_string()));
            r.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            r
        }
        "/slow" => {
            let ms: u64 = query(&parts.uri, "ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(200);
            {
                let mut g = gauge.lock().unwrap();
                g.0 += 1;
                g.1 = g.1.max(g.0);
            }
            tokio::time::sleep(Duration::from_millis(ms)).await;
            gauge.lock().unwrap().0 -= 1;
            reply(200, Bytes::from(format!("slept {ms}")))
        }
        "/redirect" => {
            let to = query(&parts.uri, "to").unwrap_or_else(|| "/hello".into());
            let status: u16 = query(&parts.uri, "status")
                .and_then(|v| v.parse().ok())
                .unwrap_or(302);
            let mut r = reply(status, Bytes::new());
            r.headers_mut().insert("location", to.parse().unwrap());
            r
        }
        "/big" => {
            let n: usize = query(&parts.uri, "n")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1024);
            reply(200, Bytes::from(vec![b'x'; n]))
        }
        "/status" => {
            let code: u16 = query(&parts.uri, "code")
                .and_then(|v| v.parse().ok())
                .unwrap_or(200);
            reply(code, Bytes::from(format!("status {code}")))
        }
        // A Code Mode tool callback: {"tool", "input"} -> {"ok": true, "result"} and friends.
        "/tool" => {
            let call: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let input = &call["input"];
            let answer = match call["tool"].as_str().unwrap_or("") {
                "add" => {
                    serde_json::json!({"ok": true, "result": input["a"].as_f64().unwrap_or(0.0) + input["b"].as_f64().unwrap_or(0.0)})
                }
                "fail" => serde_json::json!({"ok": false, "error": "the tool said no"}),
                "slow" => {
                    {
                        let mut g = gauge.lock().unwrap();
                        g.0 += 1;
                        g.1 = g.1.max(g.0);
                    }
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    gauge.lock().unwrap().0 -= 1;
                    serde_json::json!({"ok": true, "result": input.clone()})
                }
                _ => serde_json::json!({"raw": input.clone()}),
            };
            reply(200, Bytes::from(answer.to_string()))
        }
        _ => reply(404, Bytes::from_static(b"not found")),
    })
}
