//! TLS to Postgres: rustls (ring), the server's certificate always verified — against the public
//! roots (webpki-roots) and, for a private CA (a managed database's, a self-signed server's),
//! the certificates of `[store] ca_file`.
//!
//! The URL's `sslmode` decides whether TLS is used: `disable` (never), `prefer` (the default:
//! when the server offers it) or `require` (always; the connection fails without it). libpq's
//! `verify-ca` and `verify-full` are taken as `require`: whenever TLS is used here, the
//! certificate chain and the host name are verified (libpq's `require` verifies nothing; ours
//! never connects to a server it could not verify).

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

/// `url` as tokio-postgres parses it (libpq's `verify-ca`/`verify-full` mapped to `require`).
pub(crate) fn parse_url(url: &str) -> Result<tokio_postgres::Config> {
    let url = url
        .replace("sslmode=verify-full", "sslmode=require")
        .replace("sslmode=verify-ca", "sslmode=require");
    url.parse()
        .context("the store's Postgres URL does not parse (sslmode: disable, prefer, require, verify-ca or verify-full)")
}

/// The connector: the public roots, and `ca_file`'s certificates (PEM) if given.
pub(crate) fn connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("reading [store] ca_file {}", path.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("[store] ca_file {} is not PEM", path.display()))?;
        if certs.is_empty() {
            bail!("[store] ca_file {} holds no certificate", path.display());
        }
        for cert in certs {
            roots
                .add(cert)
                .with_context(|| format!("a certificate in [store] ca_file {}", path.display()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
