//! The daemon's observability over real HTTP: the live tail, /metrics, /usage.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use wasm_sandbox_tests::daemon::{
    client, get_json, post_json, put_json, text_reply, TempDir, TestDaemon,
};

/// Reads a streaming response until `buf` contains `needle` (bounded wait).
async fn read_until(stream: &mut reqwest::Response, buf: &mut String, needle: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !buf.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within 15 s; got {buf}"))
            .unwrap()
            .unwrap_or_else(|| panic!("stream ended before {needle:?}; got {buf}"));
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// The `data:` JSON of every SSE event in `buf`, with its `event:` name.
fn sse_events(buf: &str) -> Vec<(String, Value)> {
    buf.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

const SLOW: &str = r#"export default { async fetch(req) {
  console.log("before the wait", new URL(req.url).pathname);
  await new Promise((r) => setTimeout(r, 1500));
  console.warn("after the wait");
  try { await fetch("https://example.com/"); } catch {}
  if (new URL(req.url).pathname === "/throw") throw new TypeError("thrown on purpose");
  return new Response("done");
} };"#;

#[tokio::test]
async fn the_tail_streams_a_slow_request_while_it_runs() {
    let dir = TempDir::new("tail");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    assert_eq!(
        put_json(&d, "/workers/slow", &json!({ "code": SLOW }))
            .await
            .0,
        201
    );
    let mut tail = client()
        .get(d.url("/workers/slow/tail"))
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 200);
    assert_eq!(tail.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    read_until(&mut tail, &mut buf, "attached").await;
    let call = tokio::spawn({
        let url = d.url("/workers/slow/go");
        async move { text_reply(client().get(url)).await }
    });
    read_until(&mut tail, &mut buf, "before the wait").await;
    // The request sleeps 1.5 s after printing that line: its response cannot exist yet.
    assert!(
        !call.is_finished(),
        "the line arrived only after the response"
    );
    read_until(&mut tail, &mut buf, "event: finish").await;
    assert_eq!(call.await.unwrap(), "done");
    let events = sse_events(&buf);
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["start", "log", "log", "outbound", "finish"],
        "{buf}"
    );
    let (_, start) = &events[0];
    assert_eq!(start["event"]["type"], "fetch");
    assert_eq!(start["event"]["method"], "GET");
    assert!(start["event"]["url"].as_str().unwrap().ends_with("/go"));
    assert_eq!(events[1].1["level"], "log");
    assert_eq!(events[1].1["message"], "before the wait /go");
    assert_eq!(events[2].1["level"], "warn");
    assert_eq!(events[3].1["outcome"], "denied");
    assert_eq!(events[3].1["rule"], "globalOutbound-null");
    let finish = &events[4].1;
    assert_eq!(finish["outcome"], "ok");
    assert!(finish["wallTime"].as_f64().unwrap() >= 1500.0, "{finish}");
    assert!(finish["cpuTime"].as_f64().unwrap() > 0.0, "{finish}");
    assert_eq!(start["worker"], "slow");
    assert_eq!(start["version"], 1);
    let invocation = &start["invocation"];
    assert!(events.iter().all(|(_, e)| &e["invocation"] == invocation));

    // NDJSON, and /api/get/{id} under the same id shows in the same tail; exceptions too.
    let mut nd = client()
        .get(d.url("/workers/slow/tail?format=ndjson"))
        .send()
        .await
        .unwrap();
    assert_eq!(nd.headers()["content-type"], "application/x-ndjson");
    let mut buf = String::new();
    read_until(&mut nd, &mut buf, "attached").await;
    let r = client()
        .get(d.url("/workers/slow/throw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    read_until(&mut nd, &mut buf, r#""type":"finish""#).await;
    let lines: Vec<Value> = buf
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exception = lines
        .iter()
        .find(|l| l["type"] == "exception")
        .unwrap_or_else(|| panic!("{buf}"));
    assert_eq!(exception["name"], "TypeError");
    assert_eq!(exception["message"], "thrown on purpose");
    assert_eq!(lines.last().unwrap()["outcome"], "exception");
    let from_api_get = json!({ "code": r#"export default { fetch() { console.error("from api/get"); return new Response("x"); } };"# });
    assert_eq!(post_json(&d, "/api/get/slow", &from_api_get).await.0, 200);
    read_until(&mut nd, &mut buf, "from api/get").await;
    read_until(&mut nd, &mut buf, r#""outcome":"ok""#).await;
    // Another worker's events are not in this tail: it runs before a second request of `slow`,
    // whose finish is then read (events arrive in the order they were published).
    buf.clear();
    let other = json!({ "code": r#"export default { fetch() { console.log("not mine"); return new Response("x"); } };"# });
    assert_eq!(post_json(&d, "/api/get/other", &other).await.0, 200);
    assert_eq!(post_json(&d, "/api/get/slow", &json!({})).await.0, 200);
    read_until(&mut nd, &mut buf, r#""type":"finish""#).await;
    assert!(buf.contains("from api/get"), "{buf}");
    assert!(!buf.contains("not mine"), "{buf}");
}

/// Prometheus text: every sample line is `name{labels} value`; returns value by series.
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let words: Vec<&str> = comment.split_whitespace().collect();
            assert!(
                matches!(words.first(), Some(&"TYPE") | Some(&"HELP")),
                "bad comment: {line}"
            );
            if words[0] == "TYPE" {
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&words[2]),
                    "bad type: {line}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "bad labels: {line}");
        }
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        samples.insert(without_replica(series, line), value);
    }
    samples
}

/// The series without its `replica` label, which every series carries (the daemon's name).
fn without_replica(series: &str, line: &str) -> String {
    let Some((name, labels)) = series.split_once('{') else {
        panic!("no replica label: {line}")
    };
    let labels = labels.strip_suffix('}').unwrap();
    let mut kept = Vec::new();
    let mut replica = false;
    // Label values here never contain `",`.
    for label in labels.split("\",").filter(|l| !l.is_empty()) {
        let label = label.trim_end_matches('"');
        if label.starts_with("replica=\"") {
            replica = true;
        } else {
            kept.push(format!("{label}\""));
        }
    }
    assert!(replica, "no replica label: {line}");
    if kept.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", kept.join(","))
    }
}

fn sum(samples: &BTreeMap<String, f64>, prefix: &str, label: &str) -> f64 {
    samples
        .iter()
        .filter(|(k, _)| k.starts_with(prefix) && k.contains(label))
        .map(|(_, v)| v)
        .sum()
}

async fn metrics(d: &TestDaemon) -> BTreeMap<String, f64> {
    let r = client().get(d.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    parse_prometheus(&r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_counters_move() {
    let dir = TempDir::new("metrics");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let d = &d;
    let run = |code: &'static str| async move {
        post_json(d, "/api/run", &json!({ "code": code })).await.0
    };
    let ok = r#"export default { fetch() { return new Response("x"); } };"#;
    let throws = r#"export default { fetch() { throw new Error("no"); } };"#;
    let fetches = r#"export default { async fetch() { try { await fetch("https://example.com/"); } catch {} return new Response("x"); } };"#;
    assert_eq!(run(ok).await, 200);
    let before = metrics(d).await;
    let requests =
        |m: &BTreeMap<String, f64>, label: &str| sum(m, "sandbox_requests_total{", label);
    assert!(requests(&before, "") >= 1.0, "{before:?}");
    assert_eq!(run(ok).await, 200);
    assert_eq!(run(ok).await, 200);
    assert_eq!(run(throws).await, 400);
    assert_eq!(run(fetches).await, 200);
    // A cached worker: one cold start, then warm.
    for _ in 0..3 {
        assert_eq!(
            post_json(d, "/api/get/warm-one", &json!({ "code": ok }))
                .await
                .0,
            200
        );
    }
    let after = metrics(d).await;
    assert_eq!(
        requests(&after, "") - requests(&before, ""),
        7.0,
        "{after:?}"
    );
    assert_eq!(
        requests(&after, "outcome=\"exception\"") - requests(&before, "outcome=\"exception\""),
        1.0
    );
    assert!(requests(&after, "start=\"warm\"") >= 2.0, "{after:?}");
    assert!(
        sum(
            &after,
            "sandbox_outbound_requests_total{",
            "rule=\"globalOutbound-null\""
        ) >= 1.0,
        "{after:?}"
    );
    assert!(
        sum(&after, "sandbox_cpu_microseconds_total", "")
            > sum(&before, "sandbox_cpu_microseconds_total", "")
    );
    // Latency histograms for the whole request and for instantiation.
    let count = |m: &BTreeMap<String, f64>, name: &str| sum(m, name, "");
    assert_eq!(
        count(&after, "sandbox_request_duration_seconds_count")
            - count(&before, "sandbox_request_duration_seconds_count"),
        7.0
    );
    assert!(after.keys().any(
        |k| k.starts_with("sandbox_request_duration_seconds_bucket{") && k.contains("le=\"+Inf\"")
    ));
    assert!(count(&after, "sandbox_instantiate_duration_seconds_count") >= 6.0);
    // Cache and pool.
    assert_eq!(after["sandbox_cached_workers"], 1.0);
    assert!(after.contains_key("sandbox_cache_evictions_total"));
    assert!(after["sandbox_instances_capacity"] >= 1.0);
    assert!(after["sandbox_instances{state=\"live\"}"] >= 1.0);
}

#[tokio::test]
async fn usage_counts_the_requests_made() {
    let dir = TempDir::new("usage");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    let code = r#"export default { fetch(req) { if (new URL(req.url).pathname === "/fail") throw new Error("x"); return new Response("x"); } };"#;
    let spec = json!({ "code": code });
    assert_eq!(put_json(&d, "/workers/metered", &spec).await.0, 201);
    for path in ["/a", "/b", "/c", "/fail"] {
        client()
            .get(d.url(&format!("/workers/metered{path}")))
            .send()
            .await
            .unwrap();
    }
    // A new version is a new worker, same id.
    assert_eq!(put_json(&d, "/workers/metered", &spec).await.0, 200);
    client()
        .get(d.url("/workers/metered/d"))
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(post_json(&d, "/api/get/metered", &spec).await.0, 200);
    }
    assert_eq!(post_json(&d, "/api/run", &spec).await.0, 200);
    let (_, one) = get_json(&d, "/usage/metered").await;
    assert_eq!(one["requests"], 7, "{one}");
    assert_eq!(one["errors"], 1, "{one}");
    assert_eq!(one["coldStarts"], 3, "{one}");
    assert!(one["cpuMs"].as_f64().unwrap() > 0.0);
    let (_, all) = get_json(&d, "/usage").await;
    assert_eq!(all["workers"]["metered"]["requests"], 7, "{all}");
    assert_eq!(all["anonymous"]["requests"], 1, "{all}");
    let today = all["days"].as_array().unwrap().last().unwrap().clone();
    // Version 1, version 2, the /api/get worker, the one-off /api/run worker.
    assert_eq!(today["uniqueWorkersLoaded"], 4, "{all}");
    assert_eq!(today["requests"], 8, "{all}");
    let (_, never) = get_json(&d, "/usage/never-ran").await;
    assert_eq!(never["requests"], 0);
}
