//! The test Postgres (`WASM_SANDBOX_TEST_PG`, started by `tests/pg/with-postgres.sh` in
//! `make test`): a fresh database per test.

/// A fresh UTF-8 database on the test server, as libpq key=value pairs; `None` (the test is
/// skipped, saying so) when there is no server — unless `WASM_SANDBOX_REQUIRE_PG=1`, as in
/// `make test`, which makes that a failure.
pub async fn database(tag: &str) -> Option<String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Ok(server) = std::env::var("WASM_SANDBOX_TEST_PG") else {
        assert!(
            std::env::var("WASM_SANDBOX_REQUIRE_PG").as_deref() != Ok("1"),
            "WASM_SANDBOX_REQUIRE_PG=1 but WASM_SANDBOX_TEST_PG is not set"
        );
        eprintln!("skipped: WASM_SANDBOX_TEST_PG is not set (make test starts a Postgres)");
        return None;
    };
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "ws_{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let (client, conn) =
        tokio_postgres::connect(&format!("{server} dbname=postgres"), tokio_postgres::NoTls)
            .await
            .expect("connecting to the test Postgres");
    tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
        ))
        .await
        .unwrap();
    Some(format!("{server} dbname={name}"))
}
