//! Response bodies streamed across the sandbox's edge (issue 16): through the daemon, a
//! `ReadableStream` body reaches the client as the script produces it, a slow client holds the
//! script back instead of making anything buffer, a client that leaves cancels the stream, and a
//! stream cut short (an exception, the CPU limit, a bad chunk) ends broken, never as complete.

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use wasm_sandbox_tests::daemon::{client, TempDir, TestDaemon};

/// Server-sent events, one every 250 ms, each stamped with the time the script wrote it.
const SSE: &str = r#"
export default { async fetch(request) {
  const { readable, writable } = new TransformStream();
  const writer = writable.getWriter();
  const enc = new TextEncoder();
  (async () => {
    for (let i = 0; i < 5; i++) {
      await writer.write(enc.encode(`id: ${i}\ndata: ${Date.now()}\n\n`));
      await scheduler.wait(250);
    }
    await writer.close();
  })();
  return new Response(readable, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
} };
"#;

/// An endless pull source; what happened to it is kept in KV (`/state` reads it from whichever
/// instance answers: the streaming call holds its own).
const ENDLESS: &str = r#"
export default { async fetch(request, env) {
  if (new URL(request.url).pathname === "/state") {
    return Response.json({ cancelled: await env.KV.get("cancelled"), pulls: Number(await env.KV.get("pulls")) });
  }
  const chunk = new Uint8Array(64 * 1024).fill(120);
  let pulls = 0;
  return new Response(new ReadableStream({
    async pull(c) { pulls++; await env.KV.put("pulls", String(pulls)); c.enqueue(chunk); },
    async cancel(reason) { await env.KV.put("cancelled", `${reason && reason.name}: ${reason && reason.message}`); },
  }));
} };
"#;

/// Two parts, then the path's way of failing.
const BREAKS: &str = r#"
export default { async fetch(request) {
  const how = new URL(request.url).pathname;
  const enc = new TextEncoder();
  let n = 0;
  return new Response(new ReadableStream({
    async pull(c) {
      n++;
      if (n <= 2) { c.enqueue(enc.encode(`part ${n}\n`)); await scheduler.wait(20); return; }
      if (how === "/throw") throw new Error("boom mid-stream");
      if (how === "/spin") for (;;) {}
      if (how === "/string") { c.enqueue("not bytes"); return; }
      if (how === "/hang") return new Promise(() => {});
      c.close();
    },
  }));
} };
"#;

async fn put_worker(d: &TestDaemon, id: &str, spec: Value) {
    let r = client()
        .put(d.url(&format!("/workers/{id}")))
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn sse_events_reach_the_client_before_the_script_writes_the_last() {
    let dir = TempDir::new("sse");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    put_worker(&d, "sse", json!({ "code": SSE })).await;

    let mut r = client().get(d.url("/workers/sse/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["transfer-encoding"], "chunked");
    let mut text = String::new();
    let mut first_arrived = None;
    while let Some(chunk) = r.chunk().await.expect("the stream ends cleanly") {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        if first_arrived.is_none() && text.contains("\n\n") {
            first_arrived = Some(now_ms());
        }
    }
    let stamps: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(stamps.len(), 5, "{text}");
    let first_arrived = first_arrived.unwrap();
    let last_written = *stamps.last().unwrap();
    // The client had the first event ~1 s before the script wrote the last one.
    assert!(
        first_arrived + 500 < last_written,
        "first event arrived at {first_arrived}, the last was written at {last_written}"
    );

    // /api/run keeps its buffered JSON contract for the same stream.
    let r: Value = client()
        .post(d.url("/api/run"))
        .json(&json!({ "code": SSE }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        r["output"].as_str().unwrap().matches("data: ").count(),
        5,
        "{r}"
    );
}

#[tokio::test]
async fn a_slow_client_holds_the_script_back_and_leaving_cancels_the_stream() {
    let dir = TempDir::new("sse-slow");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    put_worker(
        &d,
        "endless",
        json!({ "code": ENDLESS, "bindings": { "KV": { "kv": "endless" } } }),
    )
    .await;
    let state = || async {
        client()
            .get(d.url("/workers/endless/state"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(state().await["pulls"], 0);
    assert!(state().await["cancelled"].is_null());
    let before = rss_kib(d.child.id());

    // A client that asks and then reads nothing for two seconds, with a small receive buffer.
    let addr = d.base.trim_start_matches("http://").to_owned();
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.connect(&addr.parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    let mut conn: std::net::TcpStream = sock.into();
    conn.write_all(b"GET /workers/endless/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 512];
    let n = conn.read(&mut head).unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The script was held back: a few buffers' worth was produced, not two seconds' worth.
    let held = state().await;
    let pulls = held["pulls"].as_u64().unwrap();
    assert!(
        pulls < 200,
        "{pulls} chunks of 64 KiB were produced for a client that read nothing"
    );
    assert!(held["cancelled"].is_null(), "{held}");
    let grown = rss_kib(d.child.id()).saturating_sub(before);
    assert!(grown < 16 * 1024, "the daemon grew by {grown} KiB");

    // Leaving cancels the stream: the source's cancel() runs with an AbortError.
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = state().await;
        if !s["cancelled"].is_null() {
            assert_eq!(
                s["cancelled"], "AbortError: the client closed the connection",
                "{s}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "cancel() never ran: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_stream_cut_short_ends_broken_and_the_daemon_carries_on() {
    let dir = TempDir::new("sse-break");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    put_worker(
        &d,
        "breaks",
        json!({ "code": BREAKS, "limits": { "cpuMs": 200, "wallMs": 15000 } }),
    )
    .await;
    for how in ["throw", "spin", "string", "hang"] {
        let r = client()
            .get(d.url(&format!("/workers/breaks/{how}")))
            .send()
            .await
            .unwrap();
        // The head went out with the first part; the end must not look like a complete body.
        assert_eq!(r.status(), 200, "{how}");
        let body = r.bytes().await;
        assert!(
            body.is_err(),
            "{how}: a broken stream read as complete: {body:?}"
        );
    }
    let ok = client()
        .get(d.url("/workers/breaks/ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.text().await.unwrap(), "part 1\npart 2\n");

    // The outcomes are logged when each stream ends.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = d.drain_logs().join("\n");
    for outcome in ["exception", "exceededCpu"] {
        assert!(
            logs.contains(&format!("outcome=\"{outcome}\""))
                && logs.contains("streamed reply ended"),
            "no streamed {outcome} in the logs:\n{logs}"
        );
    }
}

/// A loopback upstream that generates its bodies as it sends them (nothing held whole):
/// `/big?n=N` sends N bytes in 64 KiB writes; `/drip` sends "first\n", then holds the rest
/// until [`DRIP_RELEASE`] is notified (or 30 s pass) and sends "second\n", setting
/// [`DRIP_SECOND_SENT`]. The counter says how many `/big` bodies the other side closed before
/// their end.
static DRIP_RELEASE: tokio::sync::Notify = tokio::sync::Notify::const_new();
static DRIP_SECOND_SENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn generating_upstream() -> (
    String,
    tokio::task::JoinHandle<()>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let closed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = closed.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                if let Some(n) = path.strip_prefix("/big?n=") {
                    let n: usize = n.parse().unwrap();
                    let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\ncontent-type: application/octet-stream\r\n\r\n");
                    if conn.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = vec![b'z'; 64 * 1024];
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(chunk.len());
                        if conn.write_all(&chunk[..k]).await.is_err() {
                            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            return;
                        }
                        left -= k;
                    }
                } else {
                    let _ = conn
                        .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\nfirst\n\r\n")
                        .await;
                    // Bounded: a test that never releases it does not hang.
                    let _ = tokio::time::timeout(Duration::from_secs(30), DRIP_RELEASE.notified())
                        .await;
                    DRIP_SECOND_SENT.store(true, std::sync::atomic::Ordering::SeqCst);
                    let _ = conn.write_all(b"7\r\nsecond\n\r\n0\r\n\r\n").await;
                }
                let _ = conn.shutdown().await;
            });
        }
    });
    (base, task, closed)
}

#[tokio::test]
async fn a_50_mib_upstream_body_is_piped_to_the_client_in_bounded_memory() {
    const SIZE: usize = 50 << 20;
    let (up, _task, _) = generating_upstream().await;
    let dir = TempDir::new("sse-pipe");
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(
        &cfg,
        "max_reply_mb = 100\n[outbound]\nallow_private = [\"127.0.0.1/32\"]\nmax_response_mb = 64\nmax_total_mb = 128\n",
    )
    .unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let code = r#"export default { async fetch(request, env) {
      const path = new URL(request.url).pathname;
      if (path === "/drip") {
        // Only the first chunk is read: it arrives before the upstream sends the second.
        const reader = (await fetch(`${env.UP}/drip`)).body.getReader();
        const { value } = await reader.read();
        await reader.cancel();
        return new Response(new TextDecoder().decode(value));
      }
      if (path === "/warm") return new Response("warm");
      if (path.startsWith("/js/")) {
        // Through the script: every chunk passes a TransformStream.
        const upstream = await fetch(`${env.UP}/big?n=${path.slice(4)}`);
        return new Response(upstream.body.pipeThrough(new TransformStream()));
      }
      return fetch(`${env.UP}/big?n=${path.slice(1)}`);
    } };"#;
    // "pipe" keeps the default limits (50 ms of CPU): a spliced body costs the script no CPU
    // per byte. "pipejs" moves every chunk through the script, which does.
    for (id, cpu_ms) in [("pipe", 50), ("pipejs", 1000)] {
        put_worker(
            &d,
            id,
            json!({ "code": code, "env": { "UP": up }, "limits": { "cpuMs": cpu_ms },
                    "globalOutbound": { "allow": [up], "allowPrivate": ["127.0.0.1/32"] } }),
        )
        .await;
    }

    // A fetch() body arrives as the upstream sends it: the worker answers with the first chunk
    // while the upstream still holds the second (causal, not timed: the upstream sends the rest
    // only when released).
    let r = client()
        .get(d.url("/workers/pipe/drip"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "first\n");
    assert!(
        !DRIP_SECOND_SENT.load(std::sync::atomic::Ordering::SeqCst),
        "the first chunk waited for the whole body"
    );
    DRIP_RELEASE.notify_one();

    // Warm: the instance and its pools exist before the baseline.
    let warm = client()
        .get(d.url("/workers/pipe/warm"))
        .send()
        .await
        .unwrap();
    assert_eq!(warm.text().await.unwrap(), "warm");
    let pid = d.child.id();
    let before = rss_kib(pid);
    let mut peak = before;
    let mut r = client()
        .get(d.url(&format!("/workers/pipe/{SIZE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut got = 0usize;
    let mut chunks = 0usize;
    loop {
        let chunk = match r.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => panic!(
                "the piped body broke after {got} bytes: {e}\n{}",
                d.drain_logs().join("\n")
            ),
        };
        assert!(chunk.iter().all(|&b| b == b'z'));
        got += chunk.len();
        chunks += 1;
        if chunks.is_multiple_of(64) {
            peak = peak.max(rss_kib(pid));
        }
    }
    peak = peak.max(rss_kib(pid));
    assert_eq!(got, SIZE);
    let grown = peak.saturating_sub(before);
    eprintln!("piped {SIZE} bytes: the daemon's RSS grew by {grown} KiB (from {before} KiB)");
    assert!(
        grown < 16 * 1024,
        "piping {SIZE} bytes grew the daemon's RSS by {grown} KiB"
    );

    // The same through the script's own streams (8 MiB: each chunk costs script CPU time).
    let body = client()
        .get(d.url(&format!("/workers/pipejs/js/{}", 8 << 20)))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .expect("the body piped through a TransformStream ends cleanly");
    assert_eq!(body.len(), 8 << 20);
    assert!(body.iter().all(|&b| b == b'z'));

    // An upstream body past the outbound limit (64 MiB here) is cut short as it arrives: the
    // client sees a broken body, not a complete one.
    let r = client()
        .get(d.url(&format!("/workers/pipe/{}", 70 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.bytes().await.is_err(),
        "a body past the limit read as complete"
    );
}

/// Red team: the call runs in its own task (so that it can outlive the head), which must not let
/// a client that leaves early run calls past the daemon's admission. One that leaves before the
/// head ends its call, as before streaming.
#[tokio::test]
async fn a_client_that_leaves_before_the_head_ends_the_call() {
    let up = wasm_sandbox_tests::upstream::Upstream::start().await;
    let dir = TempDir::new("sse-leave");
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(&cfg, "[outbound]\nallow_private = [\"127.0.0.1/32\"]\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let code = r#"export default { async fetch(request, env) {
      await scheduler.wait(1200);
      await fetch(`${env.UP}/hello`);
      return new Response("late");
    } };"#;
    put_worker(
        &d,
        "late",
        json!({ "code": code, "env": { "UP": up.base() },
                "globalOutbound": { "allow": [up.base()], "allowPrivate": ["127.0.0.1/32"] } }),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    for _ in 0..4 {
        assert!(impatient.get(d.url("/workers/late/")).send().await.is_err());
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        up.seen().len(),
        0,
        "calls whose clients had left went on to fetch()"
    );
    // A patient client still gets its answer.
    let r = client().get(d.url("/workers/late/")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "late");
    assert_eq!(up.seen().len(), 1);
}

/// Red team: a stream left over from an earlier call on the same (warm) instance, fed by a
/// later request, must not write into that request's reply (nor end it as complete).
#[tokio::test]
async fn a_stream_of_an_earlier_call_cannot_write_into_a_later_reply() {
    let dir = TempDir::new("sse-stale");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let code = r#"let stash = null;
    export default { async fetch(request) {
      const enc = new TextEncoder();
      if (new URL(request.url).pathname === "/a") {
        // Waits on nothing: the call ends (never settled) with its pump suspended.
        return new Response(new ReadableStream({ start(c) { stash = c; } }));
      }
      let n = 0;
      return new Response(new ReadableStream({
        pull(c) {
          if (n === 0 && stash) { try { stash.enqueue(enc.encode("LEAK")); stash.close(); } catch {} }
          if (n++ < 3) c.enqueue(enc.encode("b")); else c.close();
        },
      }));
    } };"#;
    put_worker(&d, "stale", json!({ "code": code })).await;
    // /a never settles: its reply breaks (before or after its head, as the call ends quickly).
    if let Ok(a) = client().get(d.url("/workers/stale/a")).send().await {
        assert!(a.bytes().await.is_err(), "/a read as complete");
    }
    for _ in 0..3 {
        let b = client()
            .get(d.url("/workers/stale/b"))
            .send()
            .await
            .unwrap();
        assert_eq!(b.bytes().await.expect("/b is complete"), "bbb");
    }
}

/// Red team: a fetch() body the script never reads does not keep its upstream connection (and
/// the host's reader) open on the idle instance after the call.
#[tokio::test]
async fn an_unread_fetch_body_is_closed_when_the_call_ends() {
    let (up, _task, closed) = generating_upstream().await;
    let dir = TempDir::new("sse-unread");
    let cfg = dir.0.join("sandbox.toml");
    std::fs::write(&cfg, "[outbound]\nallow_private = [\"127.0.0.1/32\"]\n").unwrap();
    let d = TestDaemon::start(&dir.0, &["--config", cfg.to_str().unwrap()], &[]);
    let code = r#"export default { async fetch(request, env) {
      const r = await fetch(`${env.UP}/big?n=${100 << 20}`);
      return new Response(`status ${r.status}`);
    } };"#;
    put_worker(
        &d,
        "unread",
        json!({ "code": code, "env": { "UP": up },
                "globalOutbound": { "allow": [up], "allowPrivate": ["127.0.0.1/32"] } }),
    )
    .await;
    let r = client()
        .get(d.url("/workers/unread/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "status 200");
    let deadline = Instant::now() + Duration::from_secs(3);
    while closed.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the upstream connection stayed open after the call"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Red team: an HTTP/1.0 client learns a body's end only from the connection closing, so a
/// streamed body cut short would read as complete: it gets an error status instead.
#[tokio::test]
async fn http_1_0_clients_never_read_a_broken_stream_as_complete() {
    let dir = TempDir::new("sse-http10");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    put_worker(&d, "breaks", json!({ "code": BREAKS })).await;
    let addr = d.base.trim_start_matches("http://").to_owned();
    let raw = |path: &str| {
        let mut conn = std::net::TcpStream::connect(&addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(conn, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        let mut reply = String::new();
        conn.read_to_string(&mut reply).unwrap();
        reply
    };
    let broken = raw("/workers/breaks/throw");
    assert!(broken.starts_with("HTTP/1.0 502"), "{broken}");
    let ok = raw("/workers/breaks/ok");
    assert!(ok.starts_with("HTTP/1.0 200"), "{ok}");
    assert!(ok.ends_with("part 1\npart 2\n"), "{ok}");
}

/// Red team: a client that leaves while the script waits on something other than a write (a
/// timer) does not hold the instance and the daemon's admission until the wall-time limit.
#[tokio::test]
async fn a_client_that_leaves_a_quiet_stream_frees_its_admission_soon() {
    let dir = TempDir::new("sse-quiet");
    let d = TestDaemon::start(&dir.0, &["--max-concurrent-requests", "1"], &[]);
    let code = r#"export default { async fetch(request) {
      if (new URL(request.url).pathname === "/quick") return new Response("quick");
      const { readable, writable } = new TransformStream();
      const w = writable.getWriter();
      (async () => { await w.write(new TextEncoder().encode("data: hello\n\n")); await scheduler.wait(20000); await w.close(); })();
      return new Response(readable);
    } };"#;
    put_worker(&d, "quiet", json!({ "code": code })).await;
    let mut r = client().get(d.url("/workers/quiet/")).send().await.unwrap();
    assert_eq!(r.chunk().await.unwrap().unwrap(), "data: hello\n\n");
    // While it runs, it holds the only admission.
    let busy = client()
        .get(d.url("/workers/quiet/quick"))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 503);
    drop(r);
    let left = Instant::now();
    loop {
        let q = client()
            .get(d.url("/workers/quiet/quick"))
            .send()
            .await
            .unwrap();
        if q.status() == 200 {
            break;
        }
        assert!(
            left.elapsed() < Duration::from_secs(8),
            "the admission was still held {:?} after the client left",
            left.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A request body fed by the test: chunks sent through the channel, as the test decides.
fn channel_body(rx: tokio::sync::mpsc::Receiver<Vec<u8>>) -> reqwest::Body {
    struct Chunks(tokio::sync::mpsc::Receiver<Vec<u8>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.0.poll_recv(cx).map(|c| c.map(Ok))
        }
    }
    reqwest::Body::wrap_stream(Chunks(rx))
}

/// A request body larger than what the daemon reads first arrives in the worker as the client
/// sends it, under the daemon's limits.
#[tokio::test]
async fn a_large_request_body_reaches_the_worker_as_it_is_sent() {
    let dir = TempDir::new("sse-upload");
    let d = TestDaemon::start(&dir.0, &["--max-body-bytes", "2000000"], &[]);
    let code = r#"export default { async fetch(request) {
      const reader = request.body.getReader();
      let total = 0, chunks = 0, firstAt = null;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (firstAt === null) firstAt = Date.now();
          total += value.byteLength; chunks++;
        }
      } catch (e) {
        return Response.json({ error: `${e.name}: ${e.message}`, total });
      }
      return Response.json({ total, chunks, firstAt });
    } };"#;
    put_worker(&d, "upload", json!({ "code": code })).await;

    // 1 MiB in two halves, 800 ms apart.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let send = tokio::spawn(async move {
        for part in 0..2 {
            for _ in 0..8 {
                tx.send(vec![b'u'; 32 * 1024]).await.unwrap();
            }
            if part == 0 {
                tokio::time::sleep(Duration::from_millis(800)).await;
            }
        }
        now_ms()
    });
    let r: Value = client()
        .post(d.url("/workers/upload/"))
        .body(channel_body(rx))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last_sent = send.await.unwrap();
    assert_eq!(r["total"], 16 * 32 * 1024, "{r}");
    let first_at = r["firstAt"].as_u64().unwrap();
    assert!(
        first_at + 500 < last_sent,
        "the worker read its first chunk at {first_at}, the client sent the last at {last_sent}"
    );

    // Past max_body_bytes (no content-length to refuse it early): the script's read fails,
    // naming the limit.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for _ in 0..100 {
            if tx.send(vec![b'v'; 32 * 1024]).await.is_err() {
                break;
            }
        }
    });
    let r: Value = client()
        .post(d.url("/workers/upload/"))
        .body(channel_body(rx))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["error"],
        "TypeError: reading the request body failed: the request body is larger than 2000000 bytes",
        "{r}"
    );
}
