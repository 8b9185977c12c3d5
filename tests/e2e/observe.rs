//! Observability from the crate: live tail events, outcomes, metering, tracing spans.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasm_sandbox::{
    Config, GlobalOutbound, Level, Limits, OutboundRecord, Tail, TailEvent, TailItem, TailKind,
    Trigger, Worker, WorkerCode,
};
use wasm_sandbox_tests::upstream::Upstream;
use wasm_sandbox_tests::{get, loader, loader_with, text};

/// The next event of the tail (bounded wait; a test never hangs on a missing event).
async fn next(tail: &mut Tail) -> Arc<TailEvent> {
    match tokio::time::timeout(Duration::from_secs(10), tail.recv())
        .await
        .expect("a tail event within 10 s")
        .expect("the tail is open")
    {
        TailItem::Event(e) => e,
        TailItem::Lagged(n) => panic!("tail lagged by {n}"),
    }
}

/// Every event up to and including the next `finish`.
async fn until_finish(tail: &mut Tail) -> Vec<Arc<TailEvent>> {
    let mut events = Vec::new();
    loop {
        let e = next(tail).await;
        let done = matches!(e.kind, TailKind::Finish { .. });
        events.push(e);
        if done {
            return events;
        }
    }
}

fn outcome(events: &[Arc<TailEvent>]) -> &'static str {
    match events.last().map(|e| &e.kind) {
        Some(TailKind::Finish { outcome, .. }) => outcome.as_str(),
        other => panic!("no finish event: {other:?}"),
    }
}

#[tokio::test]
async fn console_lines_and_exceptions_arrive_with_their_levels() {
    let loader = loader().await;
    let worker = loader
        .get("tail-levels", || async {
            Ok(WorkerCode::js(
                "worker.js",
                r#"export default { fetch(req) {
                  console.debug("d", 1); console.info("i"); console.log("l", { a: 1 });
                  console.warn("w"); console.error("e");
                  null.boom;
                } };"#,
            ))
        })
        .await
        .unwrap();
    let mut tail = worker.tail();
    let err = worker
        .entrypoint(None)
        .fetch(get("https://worker/path?q=1"))
        .await
        .unwrap_err();
    assert_eq!(err.outcome(), "exception");
    let events = until_finish(&mut tail).await;
    let invocation = events[0].invocation;
    assert!(events.iter().all(|e| e.invocation == invocation));
    assert!(events
        .iter()
        .all(|e| e.worker.as_deref() == Some("tail-levels")));
    match &events[0].kind {
        TailKind::Start {
            event: Trigger::Fetch { method, url, .. },
        } => assert_eq!(
            (method.as_str(), url.as_str()),
            ("GET", "https://worker/path?q=1")
        ),
        other => panic!("first event is not the start: {other:?}"),
    }
    let logs: Vec<(Level, String)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            TailKind::Log { level, message } => Some((*level, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        logs,
        [
            (Level::Debug, "d 1".to_string()),
            (Level::Info, "i".into()),
            (Level::Log, "l { a: 1 }".into()),
            (Level::Warn, "w".into()),
            (Level::Error, "e".into()),
        ]
    );
    let exception = events
        .iter()
        .find_map(|e| match &e.kind {
            TailKind::Exception {
                name,
                message,
                stack,
            } => Some((name.clone(), message.clone(), stack.clone())),
            _ => None,
        })
        .expect("an exception event");
    assert_eq!(exception.0, "TypeError", "{exception:?}");
    assert!(exception.1.contains("null"), "{exception:?}");
    assert!(
        exception.2.unwrap_or_default().contains("worker.js"),
        "stack"
    );
    assert_eq!(outcome(&events), "exception");
    // The wire shape (what the daemon streams).
    let log = serde_json::to_value(&*events[1]).unwrap();
    assert_eq!(log["type"], "log");
    assert_eq!(log["level"], "debug");
    assert_eq!(log["worker"], "tail-levels");
    assert!(log["timestamp"].as_u64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn a_slow_request_streams_its_lines_before_it_answers() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "worker.js",
            r#"export default { async fetch() {
              console.log("before the wait");
              await new Promise((r) => setTimeout(r, 1500));
              console.log("after the wait");
              return new Response("done");
            } };"#,
        ))
        .unwrap();
    let mut tail = worker.tail();
    let call = tokio::spawn({
        let worker = worker.clone();
        async move { worker.entrypoint(None).fetch(get("https://worker/")).await }
    });
    assert!(matches!(next(&mut tail).await.kind, TailKind::Start { .. }));
    match &next(&mut tail).await.kind {
        TailKind::Log { message, .. } => assert_eq!(message, "before the wait"),
        other => panic!("expected the first line, got {other:?}"),
    }
    // The request sleeps 1.5 s after that line: it cannot have answered yet.
    assert!(
        !call.is_finished(),
        "the line arrived only after the response"
    );
    let rest = until_finish(&mut tail).await;
    assert!(matches!(&rest[0].kind, TailKind::Log { message, .. } if message == "after the wait"));
    assert_eq!(outcome(&rest), "ok");
    assert_eq!(text(&call.await.unwrap().unwrap()), "done");
}

/// Fetch `worker` once: its response text, and the outbound attempts its tail reported.
async fn fetch_and_attempts(worker: &Worker) -> (String, Vec<OutboundRecord>) {
    let mut tail = worker.tail();
    let r = worker
        .entrypoint(None)
        .fetch(get("https://worker/"))
        .await
        .unwrap();
    let attempts = until_finish(&mut tail)
        .await
        .iter()
        .filter_map(|e| match &e.kind {
            TailKind::Outbound { record } => Some(record.clone()),
            _ => None,
        })
        .collect();
    (text(&r), attempts)
}

#[tokio::test]
async fn outbound_attempts_show_the_rule_that_denied_them() {
    let up = Upstream::start().await;
    let loader = loader().await;
    let policy = GlobalOutbound::allow(&[up.base()], &["127.0.0.1/32"]).unwrap();
    let src = format!(
        r#"export default {{ async fetch() {{
          const out = [];
          for (const url of ["{base}/hello", "https://not-allowed.example/x", "http://10.0.0.1/"]) {{
            try {{ out.push((await fetch(url)).status); }} catch (e) {{ out.push("refused"); }}
          }}
          return new Response(out.join(","));
        }} }};"#,
        base = up.base()
    );
    let worker = loader
        .load(WorkerCode::js("worker.js", src).with_outbound(policy))
        .unwrap();
    let (body, attempts) = fetch_and_attempts(&worker).await;
    assert_eq!(body, "200,refused,refused");
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[0].outcome, "ok");
    assert_eq!(attempts[0].status, Some(200));
    assert_eq!(
        (attempts[1].outcome.as_str(), attempts[1].rule),
        ("denied", Some("not-allowed"))
    );
    assert!(attempts[1].url.contains("not-allowed.example"));
    assert_eq!(
        (attempts[2].outcome.as_str(), attempts[2].rule),
        ("denied", Some("not-allowed"))
    );
    // With no outbound access at all, the rule says so.
    let closed = loader
        .load(WorkerCode::js(
            "worker.js",
            r#"export default { async fetch() { try { await fetch("https://example.com/"); } catch {} return new Response("x"); } };"#,
        ))
        .unwrap();
    let rules: Vec<_> = fetch_and_attempts(&closed)
        .await
        .1
        .iter()
        .map(|r| (r.outcome.as_str(), r.rule))
        .collect();
    assert_eq!(rules, [("denied", Some("globalOutbound-null"))]);
    // The private-address rule: an allowed name on a loopback address without allowPrivate.
    let private = loader
        .load(
            WorkerCode::js(
                "worker.js",
                format!(
                    r#"export default {{ async fetch() {{ try {{ await fetch("{}/hello"); }} catch {{}} return new Response("x"); }} }};"#,
                    up.base()
                ),
            )
            .with_outbound(GlobalOutbound::allow(&[up.base()], &[] as &[&str]).unwrap()),
        )
        .unwrap();
    let rules: Vec<_> = fetch_and_attempts(&private)
        .await
        .1
        .iter()
        .map(|r| r.rule)
        .collect();
    assert_eq!(rules, [Some("private-address")]);
}

const OUTCOMES: &str = r#"export default { async fetch(req) {
  const path = new URL(req.url).pathname;
  if (path === "/throw") throw new RangeError("bad range");
  if (path === "/loop") while (true) {}
  if (path === "/alloc") { const keep = []; while (true) keep.push(new Uint8Array(1 << 20).fill(1)); }
  if (path === "/sleep") await new Promise((r) => setTimeout(r, 20000));
  return new Response("ok");
} };"#;

#[tokio::test]
async fn every_outcome_kind_is_reported() {
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js("worker.js", OUTCOMES).with_limits(Limits {
            cpu_time: Duration::from_millis(50),
            memory_bytes: 16 << 20,
            // Far above the CPU limit: on a loaded machine the loop gets its 50 ms of CPU
            // slowly, and must still end on CPU, not wall time.
            wall_time: Duration::from_secs(3),
        }))
        .unwrap();
    let mut tail = worker.tail();
    for (path, expected) in [
        ("/", "ok"),
        ("/throw", "exception"),
        ("/loop", "exceededCpu"),
        ("/alloc", "exceededMemory"),
        ("/sleep", "exceededWallTime"),
    ] {
        let result = worker
            .entrypoint(None)
            .fetch(get(&format!("https://worker{path}")))
            .await;
        let events = until_finish(&mut tail).await;
        assert_eq!(outcome(&events), expected, "{path}: {result:?}");
        if let TailKind::Finish {
            cpu_time,
            wall_time,
            ..
        } = &events.last().unwrap().kind
        {
            assert!(*cpu_time > 0.0 && *wall_time >= *cpu_time * 0.5, "{path}");
        }
    }
    // Canceled: the caller gives up (a client disconnecting drops the future).
    let worker = loader.load(WorkerCode::js("worker.js", OUTCOMES)).unwrap();
    let mut tail = worker.tail();
    let call = tokio::spawn({
        let worker = worker.clone();
        async move {
            worker
                .entrypoint(None)
                .fetch(get("https://worker/sleep"))
                .await
        }
    });
    assert!(matches!(next(&mut tail).await.kind, TailKind::Start { .. }));
    call.abort();
    let events = until_finish(&mut tail).await;
    assert_eq!(outcome(&events), "canceled");
}

#[tokio::test]
async fn metering_counts_what_ran() {
    // Its own loader: metering is per loader.
    let loader = loader_with(Config::default()).await;
    let counter = r#"let n = 0; export default {
      fetch(req) { if (new URL(req.url).pathname === "/fail") throw new Error("no"); return new Response(String(++n)); },
      add(a, b) { return a + b; },
    };"#;
    for id in ["meter-a", "meter-b"] {
        let w = loader
            .get(id, || async { Ok(WorkerCode::js("worker.js", counter)) })
            .await
            .unwrap();
        for _ in 0..5 {
            w.entrypoint(None).fetch(get("https://w/")).await.unwrap();
        }
    }
    let a = loader
        .get("meter-a", || async { unreachable!("cached") })
        .await
        .unwrap();
    assert!(a
        .entrypoint(None)
        .fetch(get("https://w/fail"))
        .await
        .is_err());
    assert_eq!(
        a.entrypoint(None)
            .call("add", vec![2.into(), 3.into()])
            .await
            .unwrap(),
        5
    );
    // Two one-off workers.
    for _ in 0..2 {
        let w = loader.load(WorkerCode::js("worker.js", counter)).unwrap();
        w.entrypoint(None).fetch(get("https://w/")).await.unwrap();
    }
    let a = loader.worker_usage("meter-a").unwrap();
    assert_eq!((a.requests, a.errors, a.cold_starts), (7, 1, 1));
    assert!(a.cpu_ms > 0.0);
    let b = loader.worker_usage("meter-b").unwrap();
    assert_eq!((b.requests, b.errors), (5, 0));
    let usage = loader.usage();
    assert_eq!(usage.anonymous.requests, 2);
    assert_eq!(usage.workers.len(), 2);
    let today = usage.days.last().unwrap();
    // meter-a, meter-b (each loaded once however often it ran) and the two one-off workers.
    assert_eq!(today.unique_workers_loaded, 4);
    assert_eq!(today.requests, 14);
    // Evicted and loaded again the same day: still one unique worker.
    assert!(loader.forget("meter-b"));
    loader
        .get("meter-b", || async {
            Ok(WorkerCode::js("worker.js", counter))
        })
        .await
        .unwrap();
    assert_eq!(loader.usage().days.last().unwrap().unique_workers_loaded, 4);
    assert!(loader.worker_usage("never-ran").is_none());
}

/// Records the names of spans created while it is the default subscriber.
#[derive(Clone, Default)]
struct SpanNames(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanNames {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push(attrs.metadata().name().to_owned());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sandbox_work_shows_in_the_embedders_traces() {
    use tracing_subscriber::layer::SubscriberExt;
    let names = SpanNames::default();
    let subscriber = tracing_subscriber::registry().with(names.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let loader = loader().await;
    let worker = loader
        .load(WorkerCode::js(
            "worker.js",
            r#"export default { fetch() { return new Response("x"); }, ping() { return "pong"; } };"#,
        ))
        .unwrap();
    let parent = tracing::info_span!("embedder.request");
    use tracing::Instrument;
    async {
        worker
            .entrypoint(None)
            .fetch(get("https://w/"))
            .await
            .unwrap();
        worker.entrypoint(None).call("ping", vec![]).await.unwrap();
    }
    .instrument(parent)
    .await;
    let names = names.0.lock().unwrap().clone();
    for expected in [
        "embedder.request",
        "sandbox.invoke",
        "sandbox.instantiate",
        "sandbox.evaluate",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert_eq!(names.iter().filter(|n| *n == "sandbox.invoke").count(), 2);
}
