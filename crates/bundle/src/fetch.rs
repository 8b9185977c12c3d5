//! A small, bounded HTTP(S) GET for the registry: one request, a deadline on the whole exchange,
//! a cap on the body, nothing followed but the status it asked for.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;

/// What went wrong fetching a URL.
#[derive(Debug)]
pub enum FetchError {
    /// 404 / 410.
    NotFound,
    /// Anything else: the message says what.
    Failed(String),
}

/// `GET url` and the whole body, or an error; at most `max_bytes` and `timeout` for all of it.
pub async fn get(
    url: &str,
    accept: &str,
    token: Option<&str>,
    max_bytes: u64,
    timeout: Duration,
) -> Result<Vec<u8>, FetchError> {
    match tokio::time::timeout(timeout, get_inner(url, accept, token, max_bytes)).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Failed(format!(
            "{url} did not answer within {} s",
            timeout.as_secs_f64()
        ))),
    }
}

/// The TLS client configuration: webpki's roots plus the system's trust store
/// (`$SSL_CERT_FILE`, else `/etc/ssl/certs/ca-certificates.crt`), so that a registry behind an
/// operator's own CA (a proxy, a private registry) verifies as npm itself would. Built once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            use rustls::pki_types::pem::PemObject;
            let mut roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let path = std::env::var_os("SSL_CERT_FILE")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
            if let Ok(pem) = std::fs::read(&path) {
                let certs =
                    rustls::pki_types::CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok);
                let (added, _) = roots.add_parsable_certificates(certs);
                tracing::debug!(added, path = %path.display(), "system trust store loaded");
            }
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
            .map_err(|e| e.to_string())
        })
        .clone()
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}

async fn get_inner(
    url: &str,
    accept: &str,
    token: Option<&str>,
    max_bytes: u64,
) -> Result<Vec<u8>, FetchError> {
    let fail = |m: String| FetchError::Failed(m);
    let uri: http::Uri = url
        .parse()
        .map_err(|e| fail(format!("bad registry URL {url}: {e}")))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(fail(format!("registry URL {url} must be http or https"))),
    };
    let host = uri
        .host()
        .ok_or_else(|| fail(format!("registry URL {url} has no host")))?;
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let stream = tokio::net::TcpStream::connect((bare.as_str(), port))
        .await
        .map_err(|e| fail(format!("connecting to {host}:{port} failed: {e}")))?;
    let _ = stream.set_nodelay(true);
    let io: Box<dyn Io> = if https {
        let config = tls_config().map_err(|e| fail(format!("TLS setup: {e}")))?;
        let name = match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::from(ip),
            Err(_) => rustls::pki_types::ServerName::try_from(bare.clone())
                .map_err(|_| fail(format!("invalid TLS server name {bare}")))?,
        };
        Box::new(
            tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(|e| fail(format!("TLS handshake with {bare} failed: {e}")))?,
        )
    } else {
        Box::new(stream)
    };
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(|e| fail(format!("HTTP handshake with {bare} failed: {e}")))?;
    let conn = tokio::spawn(conn);
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
    let mut request = http::Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, accept)
        .header(http::header::USER_AGENT, "wasm-sandbox (npm client)");
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| fail(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| fail(format!("request to {url} failed: {e}")))?;
    let status = response.status();
    if status == http::StatusCode::NOT_FOUND || status == http::StatusCode::GONE {
        conn.abort();
        return Err(FetchError::NotFound);
    }
    if !status.is_success() {
        conn.abort();
        return Err(fail(format!("{url} answered {status}")));
    }
    if let Some(len) = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max_bytes {
            conn.abort();
            return Err(fail(format!(
                "{url} is {len} bytes; at most {max_bytes} are accepted"
            )));
        }
    }
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| fail(format!("reading {url}: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len() as u64 + data.len() as u64 > max_bytes {
                conn.abort();
                return Err(fail(format!(
                    "{url} is larger than the {max_bytes} bytes accepted"
                )));
            }
            out.extend_from_slice(&data);
        }
    }
    conn.abort();
    Ok(out)
}
