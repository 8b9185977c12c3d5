//! Clocks (issue 15, finding 8): by default time stands still while a script computes and moves
//! when it waits, as on Cloudflare; `coarse` rounds to 100 µs; `precise` is the host's clock.

use wasm_sandbox::{Clock, Config, Limits};
use wasm_sandbox_tests::{json, loader_with, run_js};

const PROBE: &str = r#"export default { async fetch() {
    const d0 = Date.now(), p0 = performance.now();
    let x = 0; for (let i = 0; i < 300000; i++) { x += i % 7; }
    const computed = [Date.now() - d0, performance.now() - p0];
    await new Promise(r => setTimeout(r, 30));
    const waited = [Date.now() - d0, performance.now() - p0];
    const fractions = [];
    for (let i = 0; i < 50; i++) { for (let j = 0; j < 20000; j++) x++; fractions.push((performance.now() * 1000) % 100); await null; }
    return Response.json({ computed, waited, x, fractions });
} };"#;

fn config(clock: Clock) -> Config {
    Config {
        clock,
        limits: Limits {
            cpu_time: std::time::Duration::from_secs(2),
            ..Limits::default()
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn frozen_time_moves_only_across_waits() {
    let loader = loader_with(config(Clock::Frozen)).await;
    let v = json(&run_js(&loader, PROBE).await.unwrap());
    // The finding: both clocks advanced during pure compute, at ~0.5 µs resolution.
    assert_eq!(v["computed"], serde_json::json!([0, 0]), "{v}");
    assert!(v["waited"][0].as_f64().unwrap() >= 29.0, "{v}");
    assert!(v["waited"][1].as_f64().unwrap() >= 29.0, "{v}");
}

#[tokio::test]
async fn coarse_time_has_100_microsecond_steps_and_precise_moves_while_computing() {
    let loader = loader_with(config(Clock::Coarse)).await;
    let v = json(&run_js(&loader, PROBE).await.unwrap());
    for f in v["fractions"].as_array().unwrap() {
        assert!(
            f.as_f64().unwrap() < 1e-6 || (100.0 - f.as_f64().unwrap()) < 1e-6,
            "{v}"
        );
    }
    let loader = loader_with(config(Clock::Precise)).await;
    let v = json(&run_js(&loader, PROBE).await.unwrap());
    assert!(v["computed"][1].as_f64().unwrap() > 0.0, "{v}");
}
