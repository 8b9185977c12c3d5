//! A worker's entrypoint as a [`tower_service::Service`] for HTTP servers (axum, hyper, tonic's
//! routers...): route a path to a sandboxed worker in one line.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use wasm_sandbox::{Config, Loader, WorkerCode};
//! let loader = Loader::new(Config::default()).await?;
//! let worker = loader.load(WorkerCode::js(
//!     "worker.js",
//!     "export default { fetch(req) { return new Response('hi from ' + new URL(req.url).pathname); } }",
//! ))?;
//! let app = axum::Router::new().route_service("/agent", worker.entrypoint(None).into_service());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;

use crate::error::Error;
use crate::worker::{Body, BodyError, Entrypoint, RequestBody};

/// An [`Entrypoint`] as a `tower::Service<http::Request<B>>` (from
/// [`Entrypoint::into_service`]). Each request is one call of the entrypoint's `fetch`: its body
/// streams into the script as it arrives, and the response's body streams out as the script
/// produces it. It never fails: a worker that fails is answered `500` (`503` when the sandbox
/// pool is full) with the error as text and the outcome in `x-wasm-sandbox-outcome`, so it can
/// be mounted where a router wants an infallible service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct HttpService {
    entrypoint: Entrypoint,
}

impl Entrypoint {
    /// This entrypoint as a `tower::Service` for an HTTP server (see [`HttpService`]).
    pub fn into_service(self) -> HttpService {
        HttpService { entrypoint: self }
    }
}

impl<B> tower_service::Service<http::Request<B>> for HttpService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BodyError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let entrypoint = self.entrypoint.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = RequestBody::Stream(body.map_err(Into::into).boxed_unsync());
            let streaming = entrypoint
                .fetch_streaming(http::Request::from_parts(parts, body))
                .await;
            // The call's end (a streamed body's last byte) is recorded by its own task.
            drop(streaming.finished);
            Ok(match streaming.result {
                Ok(response) => response,
                Err(e) => failed(&e),
            })
        })
    }
}

/// The answer for a worker that failed.
fn failed(e: &Error) -> http::Response<Body> {
    let status = match e {
        Error::Capacity(_) => http::StatusCode::SERVICE_UNAVAILABLE,
        _ => http::StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = http_body_util::Full::new(Bytes::from(format!("the worker failed: {e}")))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut r = http::Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut().insert(
        "x-wasm-sandbox-outcome",
        http::HeaderValue::from_static(e.outcome().as_str()),
    );
    r
}
