//! The same registry and KV suites against every backend: redb (and the in-memory KV) always;
//! Postgres on the server named by `WASM_SANDBOX_TEST_PG` (libpq key=value pairs without
//! `dbname`, e.g. `host=127.0.0.1 port=54329 user=postgres`; `make test` starts one). Each
//! Postgres test gets a database of its own. Without the variable the Postgres tests fail when
//! `WASM_SANDBOX_REQUIRE_PG=1` (as in `make test`) and are skipped otherwise, saying so.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wasm_sandbox::kv::{stored_bytes, FileKv, KvEntry, KvNamespace, KvStore, MemoryKv};
use wasm_sandbox_spec::run::WorkerSpec;
use wasm_sandbox_store::postgres::PgStore;
use wasm_sandbox_store::{Registry, TooMany};
use wasm_sandbox_tests::pg::database as pg_database;
use wasm_sandbox_tests::until;

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasm-sandbox-store-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spec(code: &str) -> WorkerSpec {
    WorkerSpec {
        code: Some(code.to_owned()),
        ..WorkerSpec::default()
    }
}

// ---------------------------------------------------------------- registry

async fn registry_suite(r: &Registry) {
    assert_eq!(r.get("w").await.unwrap(), None);
    let (v1, created) = r.put("w", spec("a"), 10, None).await.unwrap();
    assert!(created);
    assert_eq!((v1.version, v1.spec.code.as_deref()), (1, Some("a")));
    let (v2, created) = r.put("w", spec("b"), 10, None).await.unwrap();
    assert!(!created);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.created_ms, v1.created_ms);
    assert_eq!(
        r.get("w").await.unwrap(),
        Some(std::sync::Arc::new(v2.clone()))
    );
    // Per tenant limits: the implicit tenant's keys have no '/', a tenant's are `t/...`.
    r.put("acme/a", spec("x"), 2, Some("acme")).await.unwrap();
    r.put("acme/b", spec("x"), 2, Some("acme")).await.unwrap();
    assert!(!r.has_room("acme/c", 2, Some("acme")).await.unwrap());
    assert!(
        r.has_room("acme/a", 2, Some("acme")).await.unwrap(),
        "replacing needs no room"
    );
    let err = r
        .put("acme/c", spec("x"), 2, Some("acme"))
        .await
        .unwrap_err();
    assert!(err.is::<TooMany>(), "{err}");
    r.put("acme/a", spec("y"), 2, Some("acme")).await.unwrap();
    // Another tenant, and one whose name extends acme's, count apart.
    r.put("acme2/a", spec("x"), 1, Some("acme2")).await.unwrap();
    r.put("beta/a", spec("x"), 1, Some("beta")).await.unwrap();
    assert!(r.has_room("w2", 2, None).await.unwrap());
    r.put("w2", spec("x"), 2, None).await.unwrap();
    assert!(r
        .put("w3", spec("x"), 2, None)
        .await
        .unwrap_err()
        .is::<TooMany>());
    // Delete.
    assert!(r.delete("acme/b").await.unwrap());
    assert!(!r.delete("acme/b").await.unwrap());
    r.put("acme/c", spec("x"), 2, Some("acme")).await.unwrap();
    // A re-registration after a delete starts again at version 1, but never with a generation
    // (what caches key on) that any earlier version had.
    let before = r.get("w").await.unwrap().unwrap();
    assert!(r.delete("w").await.unwrap());
    assert_eq!(r.get("w").await.unwrap(), None);
    let again = r.put("w", spec("c"), 10, None).await.unwrap().0;
    assert_eq!(again.version, 1);
    assert!(again.generation > before.generation);
    assert!(v1.generation < v2.generation);
    assert_eq!(
        r.get("w").await.unwrap().unwrap().generation,
        again.generation
    );
}

/// Many registrations at once, from several registries on one store (replicas): the tenant's
/// limit holds, and versions of one id never repeat.
async fn registry_races(replicas: Vec<Arc<Registry>>) {
    let mut tasks = Vec::new();
    for (i, r) in replicas.iter().enumerate() {
        for j in 0..10 {
            let r = r.clone();
            tasks.push(tokio::spawn(async move {
                let new = r
                    .put(&format!("race/n{i}-{j}"), spec("x"), 5, Some("race"))
                    .await;
                let same = r.put("race2/same", spec("x"), 100, Some("race2")).await;
                (new.is_ok(), same.unwrap().0.version)
            }));
        }
    }
    let mut created = 0;
    let mut versions = Vec::new();
    for t in tasks {
        let (ok, v) = t.await.unwrap();
        created += ok as usize;
        versions.push(v);
    }
    // `race2/same` belongs to another tenant, so `race` holds exactly its 5.
    assert_eq!(
        created, 5,
        "the limit of 5 held under concurrent registrations"
    );
    versions.sort();
    let n = versions.len() as u64;
    assert_eq!(
        versions,
        (1..=n).collect::<Vec<_>>(),
        "each PUT got its own version"
    );
}

#[tokio::test]
async fn registry_on_redb() {
    let dir = TempDir::new("reg");
    registry_suite(&Registry::open_redb(&dir.0).unwrap()).await;
    let dir = TempDir::new("reg-race");
    registry_races(vec![Arc::new(Registry::open_redb(&dir.0).unwrap())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registry_on_postgres() {
    let Some(url) = pg_database("reg").await else {
        return;
    };
    let store = PgStore::connect(&url, 4).await.unwrap();
    registry_suite(&Registry::Postgres(store.registry())).await;
    // Three replicas, each its own pool, one database.
    let Some(url) = pg_database("regrace").await else {
        return;
    };
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let s = PgStore::connect(&url, 4).await.unwrap();
        replicas.push(Arc::new(Registry::Postgres(s.registry())));
    }
    registry_races(replicas).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_when_replicas_start_together() {
    let Some(url) = pg_database("mig").await else {
        return;
    };
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PgStore::connect(&url, 1).await })
        })
        .collect();
    for s in starts {
        s.await.unwrap().unwrap();
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let n: i64 = client
        .query_one("SELECT count(*) FROM wasm_sandbox_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
}

// ---------------------------------------------------------------- coherence across replicas

async fn listening(store: &PgStore) {
    assert!(
        until(Duration::from_secs(10), async || store.listening())
            .await
            .is_some(),
        "the store never started listening"
    );
}

/// A replica caches records (no read per use), learns of another replica's change through
/// NOTIFY within milliseconds, and a change it missed is seen within `recheck`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_learn_of_changes() {
    let Some(url) = pg_database("coh").await else {
        return;
    };
    let a = PgStore::connect(&url, 2).await.unwrap();
    // B trusts its cache for an hour: only a notification can tell it.
    let b = PgStore::connect_with(&url, 2, Duration::from_secs(3600))
        .await
        .unwrap();
    listening(&b).await;
    let (ra, rb) = (
        Registry::Postgres(a.registry()),
        Registry::Postgres(b.registry()),
    );
    let mut changes = b.subscribe();
    ra.put("w", spec("one"), 10, None).await.unwrap();
    assert_eq!(
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref(),
        Some("one")
    );
    ra.put("w", spec("two"), 10, None).await.unwrap();
    let took = until(Duration::from_secs(5), async || {
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref() == Some("two")
    })
    .await
    .expect("B never saw the re-registration made on A");
    eprintln!("re-registration seen by the other replica after {took:?}");
    assert_eq!(
        changes.recv().await.unwrap(),
        wasm_sandbox_store::coherence::Change::Worker("w".into())
    );
    // Deleted on A: gone on B.
    assert!(ra.delete("w").await.unwrap());
    until(Duration::from_secs(5), async || {
        rb.get("w").await.unwrap().is_none()
    })
    .await
    .expect("B kept serving a worker deleted on A");

    // A change B is never told of (written behind the store's back, no NOTIFY): with an hour's
    // recheck B keeps its copy (it does not read per use)...
    ra.put("w", spec("three"), 10, None).await.unwrap();
    until(Duration::from_secs(5), async || {
        rb.get("w")
            .await
            .unwrap()
            .is_some_and(|r| r.spec.code.as_deref() == Some("three"))
    })
    .await
    .unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    // This session's writes fire no triggers (no notification, no new generation but ours).
    client
        .batch_execute("SET session_replication_role = replica")
        .await
        .unwrap();
    let silently = async |code: &str| {
        let mut rec = (*ra.get("w").await.unwrap().unwrap()).clone();
        rec.spec = spec(code);
        client
            .execute(
                "UPDATE workers SET record = $1, generation = nextval('worker_generations') WHERE id = 'w'",
                &[&serde_json::to_string(&rec).unwrap()],
            )
            .await
            .unwrap();
    };
    // (Once the put's own notification has arrived: a read it overtook is not cached.)
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref(),
        Some("three")
    );
    silently("four").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref(),
        Some("three")
    );
    // ...while a replica with a 200 ms recheck sees it within that.
    let c = PgStore::connect_with(&url, 2, Duration::from_millis(200))
        .await
        .unwrap();
    listening(&c).await;
    let rc = Registry::Postgres(c.registry());
    assert_eq!(
        rc.get("w").await.unwrap().unwrap().spec.code.as_deref(),
        Some("four")
    );
    silently("five").await;
    // No notification will come: once 200 ms have passed since C last confirmed its copy, its
    // next use checks the generation and finds the change.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        rc.get("w").await.unwrap().unwrap().spec.code.as_deref(),
        Some("five"),
        "a missed change was served past the recheck bound"
    );

    // A write that knows nothing of generations or notifications (an older replica during a
    // rolling upgrade, an operator's SQL): the row's triggers give it a new generation and tell
    // every replica — B, which trusts its cache for an hour, serves it at once.
    let (plain, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut rec = (*ra.get("w").await.unwrap().unwrap()).clone();
    rec.spec = spec("old replica");
    plain
        .execute(
            "UPDATE workers SET record = $1 WHERE id = 'w'",
            &[&serde_json::to_string(&rec).unwrap()],
        )
        .await
        .unwrap();
    until(Duration::from_secs(5), async || {
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref() == Some("old replica")
    })
    .await
    .expect("a write without a new generation went unseen");

    // B's listening connection killed: B stops trusting its cache at once, reconnects, and
    // announces that it may have missed changes.
    let mut changes = b.subscribe();
    client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
            &[],
        )
        .await
        .unwrap();
    let lost = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if changes.recv().await.unwrap() == wasm_sandbox_store::coherence::Change::Lost {
                return;
            }
        }
    })
    .await;
    assert!(
        lost.is_ok(),
        "B did not notice its listening connection died"
    );
    assert_eq!(
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref(),
        Some("old replica")
    );
    listening(&b).await;
    ra.put("w", spec("six"), 10, None).await.unwrap();
    until(Duration::from_secs(5), async || {
        rb.get("w").await.unwrap().unwrap().spec.code.as_deref() == Some("six")
    })
    .await
    .expect("B not told of changes after reconnecting");
}

/// `/api/get/{id}` bindings are shared: the first code bound wins on every replica, racing or
/// not; an unbind is announced; a tenant past its limit forgets its own oldest binding.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bindings_are_shared() {
    use wasm_sandbox_store::coherence::Change;
    use wasm_sandbox_store::postgres::Binding;
    let Some(url) = pg_database("bind").await else {
        return;
    };
    let mut stores = Vec::new();
    for _ in 0..3 {
        stores.push(PgStore::connect(&url, 4).await.unwrap());
    }
    for s in &stores {
        listening(s).await;
    }
    let b = |n: u8| Binding {
        hash: [n; 32],
        tails: vec![format!("t{n}")],
    };
    // 30 binds of one id with 30 codes, from three replicas at once: one code wins everywhere.
    let mut racing = Vec::new();
    for i in 0..30u8 {
        let bindings = stores[usize::from(i) % 3].bindings();
        racing.push(tokio::spawn(async move {
            bindings.bind("acme/x", "acme", &b(i), 100).await.unwrap()
        }));
    }
    let mut winners = Vec::new();
    for r in racing {
        winners.push(r.await.unwrap());
    }
    winners.dedup();
    assert_eq!(winners.len(), 1, "{winners:?}");
    for s in &stores {
        assert_eq!(
            s.bindings().get("acme/x").await.unwrap().as_ref(),
            Some(&winners[0])
        );
    }
    // An unbind on replica 1 is announced to replica 0; only the bound hash unbinds.
    let mut changes = stores[0].subscribe();
    let other = if winners[0].hash == [0; 32] {
        [1; 32]
    } else {
        [0; 32]
    };
    assert_eq!(
        stores[1]
            .bindings()
            .unbind("acme/x", Some(&other))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores[1].bindings().unbind("acme/x", None).await.unwrap(),
        Some(winners[0].hash)
    );
    let change = tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("no notification of the unbind")
        .unwrap();
    assert_eq!(change, Change::Binding("acme/x".into()));
    assert_eq!(stores[2].bindings().get("acme/x").await.unwrap(), None);
    // A tenant at its limit (3) binding a fourth id forgets its own oldest, and says so; other
    // tenants' bindings are untouched.
    let bindings = stores[0].bindings();
    bindings.bind("beta/keep", "beta", &b(9), 3).await.unwrap();
    for (i, id) in ["acme/a", "acme/b", "acme/c"].iter().enumerate() {
        bindings.bind(id, "acme", &b(i as u8), 3).await.unwrap();
    }
    let mut changes = stores[2].subscribe();
    bindings.bind("acme/d", "acme", &b(4), 3).await.unwrap();
    assert_eq!(bindings.get("acme/a").await.unwrap(), None);
    for id in ["acme/b", "acme/c", "acme/d", "beta/keep"] {
        assert!(bindings.get(id).await.unwrap().is_some(), "{id}");
    }
    let change = tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change, Change::Binding("acme/a".into()));
}

// ---------------------------------------------------------------- TLS

/// The test server speaks TLS with a certificate from a throwaway CA
/// (`WASM_SANDBOX_TEST_PG_CA`): with that CA the store connects over TLS (as `prefer`, `require`
/// and libpq's `verify-full` alike); without it, or to a name the certificate is not for, it
/// refuses to connect; `disable` stays plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_postgres() {
    use wasm_sandbox_store::postgres::PgOptions;
    let Some(url) = pg_database("tls").await else {
        return;
    };
    let ca = std::path::PathBuf::from(
        std::env::var("WASM_SANDBOX_TEST_PG_CA").expect("the test Postgres names its CA"),
    );
    let with_ca = PgOptions {
        ca_file: Some(ca.clone()),
        max_connections: 2,
        ..PgOptions::default()
    };
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let db: String = client
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    // Connections of this database over TLS, and in plain TCP, other than the test's own.
    let count = async |ssl: bool| -> i64 {
        client
            .query_one(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.datname = $1 AND s.ssl = $2 AND a.pid <> pg_backend_pid()",
                &[&db, &ssl],
            )
            .await
            .unwrap()
            .get(0)
    };
    for mode in ["prefer", "require", "verify-full", "verify-ca"] {
        let tls_url = url.replace("sslmode=disable", &format!("sslmode={mode}"));
        let store = PgStore::open(&tls_url, &with_ca).await.unwrap();
        listening(&store).await;
        let r = Registry::Postgres(store.registry());
        r.put("w", spec(mode), 10, None).await.unwrap();
        assert_eq!(
            r.get("w").await.unwrap().unwrap().spec.code.as_deref(),
            Some(mode)
        );
        assert!(count(true).await >= 2, "{mode}: no TLS connections");
        assert_eq!(count(false).await, 0, "{mode}: a plain connection");
        drop(r);
        drop(store);
        until(Duration::from_secs(10), async || count(true).await == 0)
            .await
            .expect("the store's connections outlived it");
    }
    // Without the CA: the server's certificate is not trusted, whatever the mode asking TLS.
    for mode in ["prefer", "require"] {
        let tls_url = url.replace("sslmode=disable", &format!("sslmode={mode}"));
        let err = PgStore::open(&tls_url, &PgOptions::default())
            .await
            .expect_err("connected to a server whose certificate is not trusted");
        assert!(
            format!("{err:#}").contains("certificate"),
            "{mode}: {err:#}"
        );
    }
    // The CA's certificate, but for another name (reached at its address): refused.
    let wrong_name = url
        .replace("host=127.0.0.1", "host=db.example hostaddr=127.0.0.1")
        .replace("sslmode=disable", "sslmode=require");
    let err = PgStore::open(&wrong_name, &with_ca)
        .await
        .expect_err("connected to a server whose certificate names another host");
    assert!(format!("{err:#}").contains("certificate"), "{err:#}");
    // A CA file that is not one.
    let bad = std::env::temp_dir().join(format!("not-a-ca-{}.pem", std::process::id()));
    std::fs::write(&bad, "hello").unwrap();
    let err = PgStore::open(
        &url,
        &PgOptions {
            ca_file: Some(bad.clone()),
            ..PgOptions::default()
        },
    )
    .await
    .expect_err("took a CA file without a certificate");
    assert!(format!("{err:#}").contains("ca_file"), "{err:#}");
    let _ = std::fs::remove_file(bad);
    // sslmode=disable: plain TCP to the same server.
    let store = PgStore::open(&url, &with_ca).await.unwrap();
    listening(&store).await;
    assert!(count(false).await >= 1);
}

// ---------------------------------------------------------------- KV

fn names(v: &Value) -> Vec<String> {
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Call the store directly, as KvNamespace does: on the blocking pool.
async fn on_pool<R: Send + 'static>(
    store: &Arc<dyn KvStore>,
    f: impl FnOnce(&dyn KvStore) -> R + Send + 'static,
) -> R {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(&*s)).await.unwrap()
}

fn now_s() -> u64 {
    wasm_sandbox_store::now_ms() / 1000
}

async fn kv_suite(store: Arc<dyn KvStore>) {
    let ns = KvNamespace::new(store.clone(), "t").unwrap();
    // Values, metadata, expiry.
    assert_eq!(ns.get("missing").await.unwrap(), None);
    ns.put("k", b"v".to_vec(), None, None, Some(r#"{"a":1}"#.into()))
        .await
        .unwrap();
    let e = ns.get("k").await.unwrap().unwrap();
    assert_eq!(
        (e.value.as_slice(), e.metadata.as_deref()),
        (&b"v"[..], Some(r#"{"a":1}"#))
    );
    ns.put("ttl", b"x".to_vec(), Some(3600), None, None)
        .await
        .unwrap();
    let exp = ns.get("ttl").await.unwrap().unwrap().expiration.unwrap();
    assert!(exp >= now_s() + 3590 && exp <= now_s() + 3601, "{exp}");
    // An expired entry is gone for readers at once, whatever the store still holds.
    let stale = KvEntry {
        value: b"old".to_vec(),
        metadata: None,
        expiration: Some(now_s() - 1),
    };
    on_pool(&store, move |s| s.put("t", "stale", &stale, None).unwrap()).await;
    assert_eq!(ns.get("stale").await.unwrap(), None);
    assert!(!names(&ns.list(None, None, None).await.unwrap()).contains(&"stale".to_string()));
    on_pool(&store, |s| s.delete("t", "stale").unwrap()).await;
    // Bytes and every UTF-8 key survive as given.
    let bytes: Vec<u8> = (0..=255).collect();
    ns.put("bin", bytes.clone(), None, None, None)
        .await
        .unwrap();
    assert_eq!(ns.get("bin").await.unwrap().unwrap().value, bytes);
    for key in ["ключ", "🔑", "a b", "%00", "x\u{7f}"] {
        ns.put(key, key.as_bytes().to_vec(), None, None, None)
            .await
            .unwrap();
        assert_eq!(ns.get(key).await.unwrap().unwrap().value, key.as_bytes());
    }
    ns.delete("k").await.unwrap();
    ns.delete("k").await.unwrap(); // a missing key is no error
    assert_eq!(ns.get("k").await.unwrap(), None);

    // Listing in key order (bytewise), with prefixes and cursors.
    let l = KvNamespace::new(store.clone(), "list").unwrap();
    for k in [
        "zebra", "user:2", "apple", "user:1", "Zulu", "user:3", "banana", "é",
    ] {
        l.put(k, k.as_bytes().to_vec(), None, None, None)
            .await
            .unwrap();
    }
    let all = l.list(None, None, None).await.unwrap();
    assert_eq!(
        names(&all),
        ["Zulu", "apple", "banana", "user:1", "user:2", "user:3", "zebra", "é"]
    );
    let page = l.list(Some("user:"), Some(2), None).await.unwrap();
    assert_eq!(names(&page), ["user:1", "user:2"]);
    assert_eq!(page["list_complete"], false);
    let cursor = page["cursor"].as_str().unwrap().to_owned();
    let page = l.list(Some("user:"), Some(2), Some(&cursor)).await.unwrap();
    assert_eq!(names(&page), ["user:3"]);
    assert_eq!(page["list_complete"], true);
    // A cursor that sorts before the prefix (from another listing) still lists the prefix.
    let early = hex::encode("apple");
    let page = l.list(Some("user:"), None, Some(&early)).await.unwrap();
    assert_eq!(names(&page), ["user:1", "user:2", "user:3"]);
    // Paging through everything one at a time visits each key once, in order.
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let page = l.list(None, Some(1), cursor.as_deref()).await.unwrap();
        seen.extend(names(&page));
        if page["list_complete"] == true {
            break;
        }
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, names(&all));

    // Tenants: scoped namespaces share their tenant's quota, never another's data.
    let a = KvNamespace::scoped(store.clone(), "acme", "one")
        .unwrap()
        .with_quota(1000);
    let a2 = KvNamespace::scoped(store.clone(), "acme", "two")
        .unwrap()
        .with_quota(1000);
    let b = KvNamespace::scoped(store.clone(), "beta", "one")
        .unwrap()
        .with_quota(1000);
    a.put("k", vec![0; 600], None, None, None).await.unwrap();
    let err = a2
        .put("k", vec![0; 600], None, None, None)
        .await
        .unwrap_err();
    assert!(err.contains("KV quota exceeded"), "{err}");
    b.put("k", vec![1; 600], None, None, None).await.unwrap();
    assert_eq!(a.get("k").await.unwrap().unwrap().value, vec![0; 600]);
    a.put("k", vec![0; 100], None, None, None).await.unwrap();
    a2.put("k", vec![0; 600], None, None, None).await.unwrap();
    a2.delete("k").await.unwrap();
    let entry = |n| KvEntry {
        value: vec![0; n],
        metadata: None,
        expiration: None,
    };
    let acme = on_pool(&store, |s| s.group_bytes("acme").unwrap()).await;
    assert_eq!(acme, stored_bytes("k", &entry(100)));
    assert_eq!(
        KvNamespace::new(store.clone(), "one")
            .unwrap()
            .get("k")
            .await
            .unwrap(),
        None
    );
}

/// Writers on several stores over one database (replicas) fill one tenant's quota at once:
/// it is never exceeded, and the count matches what is stored.
async fn kv_quota_race(stores: Vec<Arc<dyn KvStore>>) {
    let mut tasks = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        for j in 0..20 {
            let ns = KvNamespace::scoped(store.clone(), "race", "n")
                .unwrap()
                .with_quota(5_000);
            tasks.push(tokio::spawn(async move {
                ns.put(&format!("k{i}-{j}"), vec![7; 400], None, None, None)
                    .await
                    .is_ok()
            }));
        }
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap() as u64;
    }
    assert!(ok > 0, "no write got in");
    let listed = KvNamespace::scoped(stores[0].clone(), "race", "n").unwrap();
    let keys = names(&listed.list(None, None, None).await.unwrap());
    assert_eq!(
        keys.len() as u64,
        ok,
        "every acknowledged write is stored, nothing else"
    );
    let stored: u64 = keys
        .iter()
        .map(|k| {
            stored_bytes(
                k,
                &KvEntry {
                    value: vec![7; 400],
                    metadata: None,
                    expiration: None,
                },
            )
        })
        .sum();
    assert!(
        stored <= 5_000,
        "{stored} bytes stored under a 5000 byte quota"
    );
    assert_eq!(
        on_pool(&stores[0], |s| s.group_bytes("race").unwrap()).await,
        stored
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_on_memory_and_redb() {
    kv_suite(MemoryKv::new()).await;
    kv_quota_race(vec![MemoryKv::new()]).await;
    let dir = TempDir::new("kv");
    kv_suite(FileKv::open(&dir.0.join("kv.redb")).unwrap()).await;
    let dir = TempDir::new("kv-race");
    kv_quota_race(vec![FileKv::open(&dir.0.join("kv.redb")).unwrap()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_on_postgres() {
    let Some(url) = pg_database("kv").await else {
        return;
    };
    let store = PgStore::connect(&url, 4).await.unwrap();
    kv_suite(store.kv()).await;
    let Some(url) = pg_database("kvrace").await else {
        return;
    };
    let mut replicas: Vec<Arc<dyn KvStore>> = Vec::new();
    for _ in 0..3 {
        replicas.push(PgStore::connect(&url, 4).await.unwrap().kv());
    }
    kv_quota_race(replicas).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reaper_deletes_expired_entries_and_gives_their_bytes_back() {
    let Some(url) = pg_database("reap").await else {
        return;
    };
    let store = PgStore::connect(&url, 2).await.unwrap();
    let kv = store.kv();
    let ns = KvNamespace::scoped(kv.clone(), "acme", "n").unwrap();
    ns.put("live", vec![1; 10], Some(3600), None, None)
        .await
        .unwrap();
    let kv2 = kv.clone();
    tokio::task::spawn_blocking(move || {
        for i in 0..1500 {
            let e = KvEntry {
                value: vec![2; 10],
                metadata: Some("{}".into()),
                expiration: Some(now_s() - 1),
            };
            kv2.put("acme:n", &format!("dead{i}"), &e, None).unwrap();
        }
    })
    .await
    .unwrap();
    assert_eq!(store.reap_expired().await.unwrap(), 1500);
    let kv3 = kv.clone();
    let bytes = tokio::task::spawn_blocking(move || kv3.group_bytes("acme").unwrap())
        .await
        .unwrap();
    let live = KvEntry {
        value: vec![1; 10],
        metadata: None,
        expiration: None,
    };
    assert_eq!(bytes, stored_bytes("live", &live));
    assert_eq!(names(&ns.list(None, None, None).await.unwrap()), ["live"]);
    assert_eq!(store.reap_expired().await.unwrap(), 0);
}
