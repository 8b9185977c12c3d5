//! A fake npm registry on 127.0.0.1 for the package tests: packuments and tarballs made from
//! fixture files, and ways for it to misbehave ([`Tamper`]).
//!
//! Routes (the npm registry protocol, as far as an installer uses it):
//! - `GET /<name>` (a scoped name arrives as `/@scope%2fname`; `%2F` and a plain `/` work too):
//!   the packument, `{"name", "dist-tags": {"latest"}, "versions": {"<v>": {"name", "version",
//!   "dependencies", "dist": {"tarball", "integrity"}}}}`, every version of that name;
//! - `GET /<name>/-/<basename>-<version>.tgz`: the tarball (or what its [`Tamper`] says);
//! - anything else: 404 `{"error":"Not found"}`.
//!
//! Every request path is recorded as it arrived ([`Registry::requests`]). The server runs as a
//! task on the test's runtime and stops, open connections included, when the [`Registry`] is
//! dropped.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sha2::Digest;

/// The mtime of every packed entry (npm's own fixed date, 1985-10-26T08:15:00Z).
pub const FIXED_MTIME: u64 = 499_162_500;

/// Size of one chunk of a [`Tamper::Huge`] tarball.
pub const HUGE_CHUNK: usize = 64 * 1024;

/// One version of a package, as files relative to its root.
#[derive(Debug, Clone)]
pub struct FixturePackage {
    pub name: String,
    pub version: String,
    /// Paths relative to the package root (`package.json`, `index.js`, `lib/x.js`).
    pub files: Vec<(String, Vec<u8>)>,
}

impl FixturePackage {
    /// A package of `files`. Without a `package.json` among them, a minimal one
    /// (`{"name", "version"}`) is added.
    pub fn new(name: &str, version: &str, files: &[(&str, &str)]) -> Self {
        let mut files: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect();
        if !files.iter().any(|(p, _)| p == "package.json") {
            let manifest = json!({ "name": name, "version": version }).to_string();
            files.insert(0, ("package.json".into(), manifest.into_bytes()));
        }
        FixturePackage {
            name: name.into(),
            version: version.into(),
            files,
        }
    }

    /// Its `package.json`, parsed (`null` when missing or not JSON).
    pub fn manifest(&self) -> Value {
        self.files
            .iter()
            .find(|(p, _)| p == "package.json")
            .and_then(|(_, b)| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null)
    }

    /// `<basename>-<version>.tgz`, the basename being the name without its scope.
    pub fn tarball_name(&self) -> String {
        let base = self.name.rsplit('/').next().unwrap_or(&self.name);
        format!("{base}-{}.tgz", self.version)
    }

    /// The path its tarball is served at: `/<name>/-/<basename>-<version>.tgz`.
    pub fn tarball_path(&self) -> String {
        format!("/{}/-/{}", self.name, self.tarball_name())
    }

    /// Its tarball as the registry serves it untampered ([`pack`] of its files).
    pub fn tarball(&self) -> Vec<u8> {
        pack(&self.files)
    }

    /// The integrity the registry advertises for it untampered.
    pub fn integrity(&self) -> String {
        sri_sha512(&self.tarball())
    }

    /// Its lock line as the daemon records it untampered: `name@version#sha512-...`.
    pub fn lock_line(&self) -> String {
        format!("{}@{}#{}", self.name, self.version, self.integrity())
    }
}

/// How the registry misbehaves for one package version.
#[derive(Debug, Clone)]
pub enum Tamper {
    /// Honest: the packed files and their real integrity.
    None,
    /// The packed files, but the metadata advertises the sha512 of different bytes.
    WrongIntegrity,
    /// Serve these exact tarball bytes, and advertise their real integrity.
    Raw(Vec<u8>),
    /// The tarball request is never answered (other requests are).
    Hang,
    /// The tarball response streams 64 KiB chunks forever, with no content-length.
    Huge,
}

/// What a tarball request gets.
enum Served {
    Bytes(Bytes),
    Hang,
    Huge,
}

struct Published {
    version: String,
    file: String,
    dependencies: Value,
    integrity: String,
    served: Served,
}

/// name → its versions.
type Catalog = BTreeMap<String, Vec<Published>>;

/// A running fake registry; stops when dropped.
pub struct Registry {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        // The connections live in a JoinSet inside the task: aborting it ends them too.
        self.task.abort();
    }
}

impl Registry {
    /// Publish `packages` (several versions of one name are fine) on an ephemeral loopback
    /// port.
    pub async fn start(packages: Vec<(FixturePackage, Tamper)>) -> Registry {
        let mut catalog = Catalog::new();
        for (pkg, tamper) in packages {
            let packed = pkg.tarball();
            let (integrity, served) = match tamper {
                Tamper::None => (sri_sha512(&packed), Served::Bytes(packed.into())),
                Tamper::WrongIntegrity => {
                    let other = [packed.as_slice(), b"tampered"].concat();
                    (sri_sha512(&other), Served::Bytes(packed.into()))
                }
                Tamper::Raw(bytes) => (sri_sha512(&bytes), Served::Bytes(bytes.into())),
                Tamper::Hang => (sri_sha512(&packed), Served::Hang),
                Tamper::Huge => (sri_sha512(&packed), Served::Huge),
            };
            let dependencies = match pkg.manifest().get("dependencies") {
                Some(d @ Value::Object(_)) => d.clone(),
                _ => json!({}),
            };
            let versions = catalog.entry(pkg.name.clone()).or_default();
            assert!(
                !versions.iter().any(|p| p.version == pkg.version),
                "{}@{} is published twice",
                pkg.name,
                pkg.version
            );
            versions.push(Published {
                file: pkg.tarball_name(),
                version: pkg.version,
                dependencies,
                integrity,
                served,
            });
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake registry");
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let catalog = Arc::new(catalog);
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = log.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                while connections.try_join_next().is_some() {}
                let (catalog, base, seen) = (catalog.clone(), base.clone(), seen.clone());
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        answer(req, catalog.clone(), base.clone(), seen.clone())
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Registry { addr, log, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The paths requested so far, in order, as they arrived (`/@fx%2fscoped` stays encoded).
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests so far had a path starting with `path_prefix`, as it arrived or with
    /// `%2f`/`%2F`/`%40` decoded (so `/@fx/scoped` counts the packument and the tarballs).
    pub fn count(&self, path_prefix: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.starts_with(path_prefix) || decode(p).starts_with(path_prefix))
            .count()
    }
}

/// What a registry path means once `%2f`, `%2F` and `%40` are decoded.
fn decode(path: &str) -> String {
    path.replace("%2f", "/")
        .replace("%2F", "/")
        .replace("%40", "@")
}

/// The highest of `versions` by semver precedence (numeric core, then a release above its
/// pre-releases).
fn highest<'a>(versions: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    fn key(v: &str) -> (Vec<u64>, bool, &str) {
        let core_len = v.find(['-', '+']).unwrap_or(v.len());
        let core = v[..core_len]
            .split('.')
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        let pre = v[core_len..]
            .strip_prefix('-')
            .map(|p| p.split('+').next().unwrap_or(""));
        (core, pre.is_none(), pre.unwrap_or(""))
    }
    versions.max_by(|a, b| key(a).cmp(&key(b)))
}

type Reply = http::Response<BoxBody<Bytes, Infallible>>;

fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).boxed())
        .unwrap()
}

fn not_found() -> Reply {
    reply(404, "application/json", r#"{"error":"Not found"}"#)
}

async fn answer(
    req: http::Request<hyper::body::Incoming>,
    catalog: Arc<Catalog>,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
) -> Result<Reply, Infallible> {
    let raw = req.uri().path().to_string();
    log.lock().unwrap().push(raw.clone());
    if req.method() != http::Method::GET && req.method() != http::Method::HEAD {
        return Ok(reply(
            405,
            "application/json",
            r#"{"error":"Method not allowed"}"#,
        ));
    }
    let path = decode(&raw);
    let path = path.trim_start_matches('/');
    if let Some((name, file)) = path.split_once("/-/") {
        let Some(found) = catalog
            .get(name)
            .and_then(|versions| versions.iter().find(|p| p.file == file))
        else {
            return Ok(not_found());
        };
        return Ok(match &found.served {
            Served::Bytes(bytes) => reply(200, "application/octet-stream", bytes.clone()),
            Served::Hang => match std::future::pending::<Infallible>().await {},
            Served::Huge => http::Response::builder()
                .status(200)
                .header("content-type", "application/octet-stream")
                .body(Endless(Bytes::from(vec![0x1f; HUGE_CHUNK])).boxed())
                .unwrap(),
        });
    }
    let Some(versions) = catalog.get(path) else {
        return Ok(not_found());
    };
    let mut listed = serde_json::Map::new();
    for p in versions {
        listed.insert(
            p.version.clone(),
            json!({
                "name": path,
                "version": p.version,
                "dependencies": p.dependencies,
                "dist": {
                    "tarball": format!("{base}/{path}/-/{}", p.file),
                    "integrity": p.integrity,
                },
            }),
        );
    }
    let latest = highest(versions.iter().map(|p| p.version.as_str())).unwrap_or_default();
    let doc = json!({ "name": path, "dist-tags": { "latest": latest }, "versions": listed });
    Ok(reply(200, "application/json", doc.to_string()))
}

/// A body that never ends and declares no length (sent chunked).
struct Endless(Bytes);

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(Some(Ok(Frame::data(self.0.clone()))))
    }
}

fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(tar).unwrap();
    gz.finish().unwrap()
}

/// A header for a regular file the way npm packs one.
fn file_header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_mtime(FIXED_MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(size);
    h
}

/// A gzipped tar of `files`, each under `package/`: regular files, mode 0644, a fixed mtime, so
/// the same files always pack to the same bytes.
pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = file_header(data.len() as u64);
        b.append_data(&mut h, format!("package/{path}"), data.as_slice())
            .unwrap_or_else(|e| panic!("packing {path}: {e}"));
    }
    gzip(&b.into_inner().unwrap())
}

/// `sha512-` and the standard base64 of the SHA-512 of `bytes` (npm's `dist.integrity`).
pub fn sri_sha512(bytes: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
    )
}

/// A header with the name (and link target) bytes written straight in: `tar::Builder` checks
/// paths and would refuse `..`.
fn raw_header(
    path: &str,
    kind: tar::EntryType,
    size: u64,
    link_target: Option<&str>,
) -> tar::Header {
    let mut h = file_header(size);
    let name = path.as_bytes();
    assert!(
        name.len() <= 100,
        "a raw entry name is at most 100 bytes: {path}"
    );
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    if let Some(target) = link_target {
        let target = target.as_bytes();
        assert!(
            target.len() <= 100,
            "a raw link target is at most 100 bytes"
        );
        h.as_old_mut().linkname[..target.len()].copy_from_slice(target);
    }
    h.set_entry_type(kind);
    h.set_cksum();
    h
}

/// A builder holding a valid `package/package.json`.
fn with_manifest(package_json: &str) -> tar::Builder<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = file_header(package_json.len() as u64);
    b.append_data(&mut h, "package/package.json", package_json.as_bytes())
        .unwrap();
    b
}

/// A hostile tarball: a valid `package/package.json`, then one entry written as given (`path`
/// verbatim, e.g. `package/../../evil.js`; `kind` e.g. a symlink with `link_target`).
pub fn tarball_with_entry(
    path: &str,
    kind: tar::EntryType,
    link_target: Option<&str>,
    content: &[u8],
    package_json: &str,
) -> Vec<u8> {
    let mut b = with_manifest(package_json);
    let h = raw_header(path, kind, content.len() as u64, link_target);
    b.append(&h, content).unwrap();
    gzip(&b.into_inner().unwrap())
}

/// A tarball whose one file's header claims `claimed_size` bytes while none follow (a size cap
/// must refuse it from the header alone; the archive is small).
pub fn tarball_claiming_size(path: &str, claimed_size: u64, package_json: &str) -> Vec<u8> {
    let mut b = with_manifest(package_json);
    let h = raw_header(path, tar::EntryType::Regular, claimed_size, None);
    b.append(&h, std::io::empty()).unwrap();
    gzip(&b.into_inner().unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_version_follows_semver() {
        let v = ["1.0.0", "1.10.0", "1.9.9", "2.0.0-beta.1", "1.2.3"];
        assert_eq!(highest(v.iter().copied()), Some("2.0.0-beta.1"));
        let v = ["2.0.0-beta.1", "2.0.0", "10.0.0-rc.1", "9.9.9"];
        assert_eq!(highest(v.iter().copied()), Some("10.0.0-rc.1"));
        let v = ["2.0.0-beta.1", "2.0.0"];
        assert_eq!(highest(v.iter().copied()), Some("2.0.0"));
    }

    #[test]
    fn decoding_scoped_names() {
        assert_eq!(decode("/@fx%2fscoped"), "/@fx/scoped");
        assert_eq!(decode("/%40fx%2Fscoped"), "/@fx/scoped");
    }
}
