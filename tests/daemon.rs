//! A real `wasm-sandbox serve` process for tests: ephemeral port on 127.0.0.1, its own data dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `wasm-sandbox` binary next to the test executable (built by `make build` / `make test`),
/// or `$WASM_SANDBOX_BIN` (a benchmark comparing two builds).
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("WASM_SANDBOX_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("wasm-sandbox");
    assert!(
        bin.exists(),
        "{} is missing: run `make build` (or `cargo build --release -p wasm-sandbox-cli`) first",
        bin.display()
    );
    bin
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("wasm-sandbox-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running daemon; killed on drop.
pub struct TestDaemon {
    pub child: Child,
    pub base: String,
    logs: mpsc::Receiver<String>,
}

impl TestDaemon {
    /// Start `wasm-sandbox serve --listen 127.0.0.1:0 --data-dir DIR ARGS...` and wait until it
    /// listens.
    pub fn start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::try_start(data_dir, args, env).unwrap_or_else(|e| panic!("daemon did not start: {e}"))
    }

    /// Like `start`, returning the daemon's stderr when it exits instead of listening.
    pub fn try_start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Self, String> {
        let mut cmd = Command::new(binary());
        cmd.arg("serve").arg("--data-dir").arg(data_dir);
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.args(args)
            .env("RUST_LOG", "info")
            .env_remove("WASM_SANDBOX_TOKEN");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wasm-sandbox serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("wasm-sandbox: listening on ") {
                        return Ok(TestDaemon {
                            child,
                            base: addr.trim().to_string(),
                            logs: rx,
                        });
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(seen.join("\n"));
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Send SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Wait for the process to exit (bounded).
    pub fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "daemon did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Log lines received so far.
    pub fn drain_logs(&self) -> Vec<String> {
        self.logs.try_iter().collect()
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for tests: no proxy, a 30 s timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// `POST path` with a JSON body; the status and the JSON reply.
pub async fn post_json(
    d: &TestDaemon,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    json_reply(client().post(d.url(path)).json(body)).await
}

/// `PUT path` with a JSON body; the status and the JSON reply.
pub async fn put_json(
    d: &TestDaemon,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    json_reply(client().put(d.url(path)).json(body)).await
}

/// `GET path`; the status and the JSON reply.
pub async fn get_json(d: &TestDaemon, path: &str) -> (u16, serde_json::Value) {
    json_reply(client().get(d.url(path))).await
}

/// Send `request` and read its reply body as text (the status is not checked).
pub async fn text_reply(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

async fn json_reply(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}
