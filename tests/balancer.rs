//! Several daemons on one test Postgres behind a real HAProxy running the shipped
//! `deploy/haproxy/haproxy.cfg` unchanged (its servers and bind address come from the
//! environment, as the file documents). Used by the multi-replica e2e test and the replica
//! benchmark.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::daemon::{client, TempDir, TestDaemon};

/// The shipped HAProxy config.
pub fn config_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy/haproxy.cfg")
}

/// The `haproxy` binary; `None` (the caller skips, saying so) when it is not installed — unless
/// `WASM_SANDBOX_REQUIRE_HAPROXY=1` (as in `make test`, which installs it), then a failure.
pub fn haproxy() -> Option<PathBuf> {
    for dir in ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"] {
        let p = PathBuf::from(dir).join("haproxy");
        if p.exists() {
            return Some(p);
        }
    }
    assert!(
        std::env::var("WASM_SANDBOX_REQUIRE_HAPROXY").as_deref() != Ok("1"),
        "WASM_SANDBOX_REQUIRE_HAPROXY=1 but haproxy is not installed (make test installs it)"
    );
    eprintln!("skipped: haproxy is not installed (make test installs it)");
    None
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A replica over the database `url`, named after its directory, with `extra` config lines.
pub fn replica(dir: &TempDir, url: &str, extra: &str) -> TestDaemon {
    let cfg = dir.0.join("sandbox.toml");
    let name = dir.0.file_name().unwrap().to_str().unwrap();
    std::fs::write(
        &cfg,
        format!("replica = \"{name}\"\n{extra}\n[store]\nbackend = \"postgres\"\n"),
    )
    .unwrap();
    TestDaemon::start(
        &dir.0,
        &["--config", cfg.to_str().unwrap()],
        &[("WASM_SANDBOX_DATABASE_URL", url)],
    )
}

/// A running HAProxy; killed on drop.
pub struct Balancer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Balancer {
    /// Start `haproxy -f deploy/haproxy/haproxy.cfg` in front of three replicas (the same one may
    /// be given more than once) and wait until it routes to all of them (each one's /healthz
    /// seen through it) — bounded.
    pub async fn start(haproxy: &std::path::Path, replicas: [&TestDaemon; 3]) -> Balancer {
        let port = free_port();
        let addr = |d: &TestDaemon| d.base.trim_start_matches("http://").to_owned();
        let log = std::env::temp_dir().join(format!("wasm-sandbox-haproxy-{port}.log"));
        let child = Command::new(haproxy)
            .args(["-db", "-f"])
            .arg(config_path())
            .env("WASM_SANDBOX_LB_BIND", format!("127.0.0.1:{port}"))
            .env("WASM_SANDBOX_R1", addr(replicas[0]))
            .env("WASM_SANDBOX_R2", addr(replicas[1]))
            .env("WASM_SANDBOX_R3", addr(replicas[2]))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn haproxy");
        let lb = Balancer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        // leastconn over /healthz: every replica answers through it once all are up.
        let start = Instant::now();
        let distinct: std::collections::HashSet<&str> =
            replicas.iter().map(|d| d.base.as_str()).collect();
        let mut seen = std::collections::HashSet::new();
        while seen.len() < distinct.len() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "haproxy did not route to all three replicas (saw {seen:?}); its log: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            if let Ok(r) = client().get(lb.url("/healthz")).send().await {
                if let Ok(v) = r.json::<serde_json::Value>().await {
                    if let Some(name) = v["replica"].as_str() {
                        seen.insert(name.to_owned());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        lb
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
