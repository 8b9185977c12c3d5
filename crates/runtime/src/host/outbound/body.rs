//! Response bodies under the per-fetch and per-request caps.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use super::record::OutboundOutcome;
use super::state::CallState;
use super::OutboundLimits;

/// Trailer through which a refused response body tells the guest why it ended. (wasmtime-wasi-
/// http 48 does not hand body-stream errors to the guest as error codes, and the guest must not
/// format host errors itself: that would show it host details.)
pub(crate) const BODY_ERROR_TRAILER: &str = "x-wasm-sandbox-error";

/// A response body that counts bytes against the per-response and per-request caps and stops
/// at the fetch's deadline. When a limit trips, the body ends with a trailer naming the limit.
pub(crate) struct CappedBody {
    pub(crate) inner: WasiBody,
    pub(crate) seen: u64,
    pub(crate) limits: OutboundLimits,
    pub(crate) state: Arc<Mutex<CallState>>,
    pub(crate) deadline: Pin<Box<tokio::time::Sleep>>,
    pub(crate) done: bool,
    pub(crate) url: String,
}

impl CappedBody {
    fn refuse(
        &mut self,
        message: String,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        self.done = true;
        // The fetch was recorded as answered; it failed after all.
        if let Some(r) = self
            .state
            .lock()
            .unwrap()
            .records
            .iter_mut()
            .rev()
            .find(|r| r.url == self.url && r.outcome == OutboundOutcome::Ok)
        {
            r.outcome = OutboundOutcome::Failed;
            r.reason = Some(message.clone());
        }
        let mut trailers = http::HeaderMap::new();
        let value = http::HeaderValue::from_str(&message)
            .unwrap_or_else(|_| http::HeaderValue::from_static("outbound limit exceeded"));
        trailers.insert(BODY_ERROR_TRAILER, value);
        Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))))
    }
}

impl http_body::Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let message = format!(
                "the response body did not arrive within the outbound timeout of {} ms",
                self.limits.timeout.as_millis()
            );
            return self.refuse(message);
        }
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        if let Some(data) = frame.data_ref() {
            let n = data.len() as u64;
            self.seen += n;
            if self.seen > self.limits.max_response_bytes {
                let message = format!(
                    "the response body exceeds the limit of {} bytes per fetch",
                    self.limits.max_response_bytes
                );
                return self.refuse(message);
            }
            let total = {
                let mut st = self.state.lock().unwrap();
                st.bytes += n;
                st.bytes
            };
            if total > self.limits.max_total_bytes {
                let message = format!(
                    "outbound responses exceed the limit of {} bytes per request",
                    self.limits.max_total_bytes
                );
                return self.refuse(message);
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }
}
