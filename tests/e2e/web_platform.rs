//! The Web platform of issue 16 end to end: through the daemon (webhook verification, JWTs,
//! multipart uploads, node: modules) and under attack (crypto and buffer bombs, hostile module
//! names, reaching for the built-ins' internals).

use std::time::Duration;

use serde_json::{json, Value};
use wasm_sandbox::{Limits, ModuleContent, WorkerCode};
use wasm_sandbox_tests::daemon::{client, TempDir, TestDaemon};
use wasm_sandbox_tests::{get, loader, run_js, text};

/// A webhook receiver as providers document it: HMAC-SHA256 of the raw body in a header, checked
/// in constant time (node:crypto), and the same check again with crypto.subtle.
const WEBHOOK: &str = r#"
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
export default { async fetch(request, env) {
  const body = await request.text();
  const given = Buffer.from(request.headers.get("x-signature") || "", "hex");
  const expected = createHmac("sha256", env.SECRET).update(body).digest();
  const okNode = given.length === expected.length && timingSafeEqual(given, expected);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(env.SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const okSubtle = await crypto.subtle.verify("HMAC", key, given, new TextEncoder().encode(body));
  if (okNode !== okSubtle) return new Response("the two checks disagree", { status: 500 });
  return okNode ? Response.json(JSON.parse(body)) : new Response("bad signature", { status: 401 });
} };
"#;

/// Signs and verifies JWTs (HS256 and ES256) and parses a multipart upload.
const TOOLS: &str = r#"
import EventEmitter from "node:events";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const enc = (s) => new TextEncoder().encode(s);
async function jwt(alg, claims) {
  const input = `${b64url(enc(JSON.stringify({ alg, typ: "JWT" })))}.${b64url(enc(JSON.stringify(claims)))}`;
  if (alg === "HS256") {
    const key = await crypto.subtle.importKey("raw", enc("s3cret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const sig = await crypto.subtle.sign("HMAC", key, enc(input));
    const token = `${input}.${b64url(sig)}`;
    const [h, p, s] = token.split(".");
    return { token, valid: await crypto.subtle.verify("HMAC", key, Buffer.from(s, "base64url"), enc(`${h}.${p}`)) };
  }
  const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, enc(input));
  const token = `${input}.${b64url(sig)}`;
  const verifier = await crypto.subtle.importKey("jwk", await crypto.subtle.exportKey("jwk", publicKey), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const [h, p, s] = token.split(".");
  const tampered = `${h}.${b64url(enc(JSON.stringify({ ...claims, admin: true })))}`;
  return {
    token,
    valid: await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, verifier, Buffer.from(s, "base64url"), enc(`${h}.${p}`)),
    tamperedValid: await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, verifier, Buffer.from(s, "base64url"), enc(tampered)),
  };
}
export default { async fetch(request) {
  const url = new URL(request.url);
  if (url.pathname === "/jwt") return Response.json({ hs256: await jwt("HS256", { sub: "a" }), es256: await jwt("ES256", { sub: "b" }) });
  if (url.pathname === "/upload") {
    const form = await request.formData();
    const file = form.get("file");
    const bytes = new Uint8Array(await file.arrayBuffer());
    return Response.json({ title: form.get("title"), name: file.name, type: file.type, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
  }
  const events = new EventEmitter();
  const seen = [];
  events.on("chunk", (c) => seen.push(Buffer.from(c).toString("hex")));
  events.emit("chunk", [1, 2]); events.emit("chunk", Buffer.from("hi"));
  return new Response(seen.join(","));
} };
"#;

#[tokio::test]
async fn webhooks_jwts_uploads_and_node_modules_through_the_daemon() {
    let dir = TempDir::new("webplat");
    let d = TestDaemon::start(&dir.0, &[], &[]);
    for (id, code, env) in [
        ("hook", WEBHOOK, json!({ "SECRET": "whsec_42" })),
        ("tools", TOOLS, json!({})),
    ] {
        let r = client()
            .put(d.url(&format!("/workers/{id}")))
            .json(&json!({ "code": code, "env": env }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    // The webhook: signed by the sender with the shared secret (computed here, in Rust).
    let body = r#"{"event":"invoice.paid","amount":4200}"#;
    let sig = hmac_sha256_hex(b"whsec_42", body.as_bytes());
    let ok = client()
        .post(d.url("/workers/hook/"))
        .header("x-signature", &sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["amount"], 4200);
    let forged = client()
        .post(d.url("/workers/hook/"))
        .header("x-signature", hmac_sha256_hex(b"wrong", body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    // JWTs, signed and verified inside the sandbox.
    let jwt: Value = client()
        .get(d.url("/workers/tools/jwt"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwt["hs256"]["valid"], true, "{jwt}");
    assert_eq!(jwt["es256"]["valid"], true, "{jwt}");
    assert_eq!(jwt["es256"]["tamperedValid"], false, "{jwt}");
    assert_eq!(
        jwt["hs256"]["token"].as_str().unwrap().split('.').count(),
        3
    );

    // A multipart upload, built by hand as a browser would send it.
    let file: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let mut upload = Vec::new();
    upload.extend_from_slice(
        b"--b0undary\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nQ3 report\r\n",
    );
    upload.extend_from_slice(b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    upload.extend_from_slice(&file);
    upload.extend_from_slice(b"\r\n--b0undary--\r\n");
    let r: Value = client()
        .post(d.url("/workers/tools/upload"))
        .header("content-type", "multipart/form-data; boundary=b0undary")
        .body(upload)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["title"], "Q3 report");
    assert_eq!(r["name"], "r.bin");
    assert_eq!(r["size"], 70_000);
    assert_eq!(r["sha256"], sha256_hex(&file));

    // Buffer and EventEmitter from node: imports.
    let r = client().get(d.url("/workers/tools/")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "0102,6869");
}

/// Helpers computed with the host's own primitives via a plain worker would prove nothing; these
/// are small independent implementations (FIPS 180-4, RFC 2104).
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(data.iter().copied())
        .collect();
    let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).chain(sha256(&inner)).collect();
    sha256_hex(&outer)
}

#[test]
fn the_test_helpers_match_known_answers() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hmac_sha256_hex(b"key", b"The quick brown fox jumps over the lazy dog"),
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
}

/// Crypto and buffer bombs end in a clear error within the script's limits; the next request
/// runs normally.
#[tokio::test]
async fn crypto_and_buffer_bombs_are_contained() {
    let loader = loader().await;
    let bombs = [
        // A million PBKDF2 rounds per call, forever: the CPU limit ends it.
        r#"const k = await crypto.subtle.importKey("raw", new Uint8Array(8), "PBKDF2", false, ["deriveBits"]);
           for (;;) await crypto.subtle.deriveBits({ name: "PBKDF2", salt: new Uint8Array(8), iterations: 1000000, hash: "SHA-512" }, k, 512);"#,
        // An RSA key bigger than anyone needs is refused outright.
        r#"await crypto.subtle.generateKey({ name: "RSA-PSS", modulusLength: 65536, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign"]);"#,
        // Buffers past the memory limit.
        r#"const { Buffer } = await import("node:buffer"); const keep = []; for (;;) keep.push(Buffer.alloc(64 * 1024 * 1024, 1));"#,
        // Hashing without end.
        r#"const { createHash } = await import("node:crypto"); const h = createHash("sha256"); const chunk = new Uint8Array(1 << 20); for (;;) h.update(chunk);"#,
    ];
    for bomb in bombs {
        let src = format!(
            "export default {{ async fetch() {{ {bomb} return new Response('survived'); }} }};"
        );
        let w = loader.load(WorkerCode::js("bomb.js", src).with_limits(Limits {
            cpu_time: Duration::from_millis(500),
            memory_bytes: 64 << 20,
            wall_time: Duration::from_secs(10),
        }));
        let r = w.unwrap().entrypoint(None).fetch(get("https://w/")).await;
        match r {
            Err(e) => {
                let m = e.to_string().to_lowercase();
                assert!(
                    m.contains("cpu time limit")
                        || m.contains("memory")
                        || m.contains("operationerror"),
                    "{bomb}: {m}"
                );
            }
            Ok(r) => panic!("{bomb}: answered {} {:?}", r.status(), r.body()),
        }
        let ok = run_js(
            &loader,
            "export default { fetch() { return new Response('fine'); } };",
        )
        .await
        .unwrap();
        assert_eq!(text(&ok), "fine");
    }
}

/// Names and internals a hostile script may reach for.
#[tokio::test]
async fn hostile_module_names_and_internals() {
    let loader = loader().await;
    // The worker's own module named like a built-in wins over the built-in (no surprise swap),
    // and node: names never reach the worker's modules.
    let w = loader
        .load(
            WorkerCode::js(
                "main.js",
                r#"import own from "events"; import EventEmitter from "node:events";
                   export default { fetch() { return new Response(`${own} ${typeof EventEmitter}`); } };"#,
            )
            .with_module("events", ModuleContent::Js("export default 'mine';".into())),
        )
        .unwrap();
    assert_eq!(
        text(&w.entrypoint(None).fetch(get("https://w/")).await.unwrap()),
        "mine function"
    );
    let r = run_js(
        &loader,
        r#"export default { async fetch() {
            const out = [];
            for (const name of ["node:../../etc/passwd", "node:fs", "node:child_process", "node:", "node:Buffer"]) {
              try { await import(name); out.push(name + ": imported"); } catch (e) { out.push(e.name); }
            }
            const i = globalThis[Symbol.for("sandbox.internals")];
            for (const name of ["../x", "web:nope", "__proto__", "constructor"]) {
              try { i.builtin(name); out.push(name + ": loaded"); } catch (e) { out.push(e.name); }
            }
            // What a built-in hands out is its public exports, nothing of the engine's natives.
            const subtle = i.builtin("web:subtle");
            out.push(Object.keys(subtle).sort().join("+"));
            out.push(typeof i.native);
            return new Response(out.join(","));
        } };"#,
    )
    .await
    .unwrap();
    assert_eq!(
        text(&r),
        "ReferenceError,ReferenceError,ReferenceError,ReferenceError,ReferenceError,TypeError,TypeError,TypeError,TypeError,CryptoKey+SubtleCrypto+subtle,undefined"
    );
}

/// Streams a hostile script may build: a body that never ends, a source that never settles, a
/// decompression bomb. Each ends in a clear error; the next request runs normally.
#[tokio::test]
async fn stream_bombs_are_contained() {
    let loader = loader().await;
    let cases = [
        // A body stream without end: the memory limit ends it.
        (
            r#"return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)); } }));"#,
            &["memory"][..],
        ),
        // A body stream whose source never answers: nothing is left to wait for.
        (
            r#"return new Response(new ReadableStream({ pull() { return new Promise(() => {}); } }));"#,
            &["never settled"][..],
        ),
        // A decompression bomb: 70 MiB of zeros compress to a few kB; inflating stops at 64 MiB.
        (
            r#"let n = 0;
               const zeros = new ReadableStream({ pull(c) { if (n++ === 70) c.close(); else c.enqueue(new Uint8Array(1 << 20)); } });
               const packed = await new Response(zeros.pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer();
               try { await new Response(new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).arrayBuffer(); }
               catch (e) { return new Response(`${packed.byteLength < 200000} ${e.name}: ${e.message}`); }
               return new Response("inflated");"#,
            &["true TypeError: DecompressionStream: the output is larger than 64 MiB"][..],
        ),
    ];
    let limits = Limits {
        cpu_time: Duration::from_secs(5),
        memory_bytes: 256 << 20,
        wall_time: Duration::from_secs(20),
    };
    for (body, expect) in cases {
        bomb_is_contained(&loader, body, expect, limits).await;
    }
}

/// AsyncLocalStorage under attack: a store entered in one call (`enterWith`, then a timer and a
/// promise continuation left behind) never reaches the next call's own code on the same warm
/// instance, while what the first call left behind still runs in the first call's store. A flood
/// of concurrent flows each sees only its own store; a recursion through `run` ends cleanly; a
/// script that replaces the Map methods never sees a storage's context.
#[tokio::test]
async fn async_context_stays_within_its_call() {
    let loader = loader().await;
    let w = loader
        .load(WorkerCode::js(
            "als.js",
            r#"import { AsyncLocalStorage } from "node:async_hooks";
               const als = new AsyncLocalStorage();
               let settle = null, byTimer = "unset", byThen = "unset";
               let spied = false;
               const get = Map.prototype.get, has = Map.prototype.has;
               Map.prototype.get = function (k) { if (k === als) spied = true; return get.call(this, k); };
               Map.prototype.has = function (k) { if (k === als) spied = true; return has.call(this, k); };
               export default { async fetch(request) {
                 const url = new URL(request.url);
                 const seen = String(als.getStore());
                 if (url.pathname === "/leave") {
                   als.enterWith("leaked");
                   setTimeout(() => { byTimer = String(als.getStore()); }, 30);
                   new Promise((resolve) => { settle = resolve; }).then(() => { byThen = String(als.getStore()); });
                   return new Response(seen);
                 }
                 if (url.pathname === "/settle") {
                   settle();
                   await new Promise((r) => setTimeout(r, 60));
                   return new Response(`${seen} ${byTimer} ${byThen} ${als.getStore()}`);
                 }
                 if (url.pathname === "/flood") {
                   const flows = [];
                   for (let i = 0; i < 300; i++) flows.push(als.run(i, async () => { await null; await new Promise((r) => setTimeout(r, 0)); return als.getStore() === i; }));
                   const ok = (await Promise.all(flows)).every(Boolean);
                   return new Response(`${seen} ${ok} ${als.getStore()}`);
                 }
                 if (url.pathname === "/recurse") {
                   const down = (n) => als.run(n, () => down(n + 1));
                   try { down(0); } catch (e) { return new Response(`${seen} ${e.name} ${als.getStore()}`); }
                   return new Response("no overflow");
                 }
                 if (url.pathname === "/spied") return new Response(String(spied));
                 return new Response(seen);
               } };"#,
        ))
        .unwrap();
    let call = |path: &'static str| {
        let w = w.clone();
        async move {
            text(
                &w.entrypoint(None)
                    .fetch(get(&format!("https://w{path}")))
                    .await
                    .unwrap(),
            )
        }
    };
    assert_eq!(call("/leave").await, "undefined");
    assert_eq!(
        call("/settle").await,
        "undefined leaked leaked undefined",
        "the next call saw the store, or what the first left behind lost it"
    );
    assert_eq!(call("/").await, "undefined");
    assert_eq!(call("/flood").await, "undefined true undefined");
    // Recursion through `run` ends as JS's RangeError or, when the engine's own stack runs out
    // first, as the named StackOverflow; either way the next call starts clean.
    match w.entrypoint(None).fetch(get("https://w/recurse")).await {
        Ok(r) => assert_eq!(text(&r), "undefined RangeError undefined"),
        Err(e) => assert!(matches!(e, wasm_sandbox::Error::StackOverflow), "{e:?}"),
    }
    assert_eq!(call("/").await, "undefined");
    assert_eq!(
        call("/spied").await,
        "false",
        "a replaced Map method saw a storage's context"
    );
}

/// The internals a script may try to catch on their way: `Object.freeze` replaced before the
/// first built-in is built (the internals, with the engine's natives, were frozen with whatever
/// `Object.freeze` was then), and a host-made buffer moved with `ArrayBuffer.prototype.transfer`
/// (upstream QuickJS dropped the host's free argument and leaked the bytes for the instance's
/// life: eight 4 MiB transfers per call exhausted 64 MiB on the second call).
#[tokio::test]
async fn internals_and_host_buffers_stay_safe() {
    let loader = loader().await;
    let w = loader
        .load(
            WorkerCode::js(
                "w.js",
                r#"const freeze = Object.freeze;
                   let caught = "none";
                   Object.freeze = (o) => { if (o !== null && typeof o === "object" && "native" in o) caught = typeof o.native; return freeze(o); };
                   void globalThis.URLPattern;
                   Object.freeze = freeze;
                   export default { fetch(request) {
                     if (new URL(request.url).pathname === "/caught") return new Response(caught);
                     const s = "x".repeat(4 << 20);
                     let moved = 0;
                     for (let i = 0; i < 8; i++) {
                       const bytes = new TextEncoder().encode(s);
                       const buf = bytes.buffer;
                       const t = buf.transfer();
                       if (buf.detached && t.byteLength === 4 << 20 && new Uint8Array(t)[7] === 120) moved++;
                     }
                     return new Response(String(moved));
                   } };"#,
            )
            .with_limits(Limits {
                cpu_time: Duration::from_secs(2),
                memory_bytes: 64 << 20,
                wall_time: Duration::from_secs(20),
            }),
        )
        .unwrap();
    let call = |path: &'static str| {
        let w = w.clone();
        async move {
            match w
                .entrypoint(None)
                .fetch(get(&format!("https://w{path}")))
                .await
            {
                Ok(r) => text(&r),
                Err(e) => e.to_string(),
            }
        }
    };
    assert_eq!(
        call("/caught").await,
        "none",
        "the internals reached a replaced Object.freeze"
    );
    for i in 0..6 {
        assert_eq!(call("/").await, "8", "call {i} on one warm instance");
    }
}

/// The newer built-ins attacked: byte streams asked for a gigabyte (a chunk size, a respond past
/// the view), a URLPattern whose regexp backtracks catastrophically, a node:stream Readable that
/// pushes without end into a pipeline, a pattern string of a megabyte.
/// Each ends in a named error or a clear TypeError; the next request runs normally.
#[tokio::test]
async fn byte_stream_urlpattern_and_node_stream_bombs_are_contained() {
    let loader = loader().await;
    let cases: [(&str, &[&str]); 5] = [
        (
            r#"const s = new ReadableStream({ type: "bytes", autoAllocateChunkSize: 2 ** 30, pull(c) { c.byobRequest.respond(1); } });
               const { value } = await s.getReader().read();
               return new Response(String(value.byteLength));"#,
            &["memory", "RangeError"],
        ),
        (
            r#"const s = new ReadableStream({ type: "bytes", pull(c) { c.byobRequest.respond(1 << 30); } });
               try { await s.getReader({ mode: "byob" }).read(new Uint8Array(4)); } catch (e) { return new Response(e.name); }
               return new Response("accepted");"#,
            &["RangeError"],
        ),
        (
            r#"const p = new URLPattern({ pathname: "/((?:a|a)+c)" });
               return new Response(String(p.test({ pathname: "/" + "a".repeat(40) })));"#,
            &["cpu time"],
        ),
        (
            r#"const { Readable, Writable, pipeline } = await import("node:stream");
               const src = new Readable({ read() { this.push(new Uint8Array(1 << 20)); } });
               const kept = [];
               const sink = new Writable({ write(chunk, _e, cb) { kept.push(chunk); cb(); } });
               await new Promise((resolve, reject) => pipeline(src, sink, (e) => e ? reject(e) : resolve()));
               return new Response("ended");"#,
            &["memory", "cpu time"],
        ),
        (
            r#"try { new URLPattern({ pathname: "/" + "(".repeat(1 << 20) }); }
               catch (e) { return new Response(`${e.name}`); }
               return new Response("accepted");"#,
            &["TypeError", "cpu time"],
        ),
    ];
    let limits = Limits {
        cpu_time: Duration::from_millis(500),
        memory_bytes: 64 << 20,
        wall_time: Duration::from_secs(20),
    };
    for (body, expect) in cases {
        bomb_is_contained(&loader, body, expect, limits).await;
    }
}

/// Run `body` as the handler of a worker under `limits`: its outcome (the response text, or the
/// error) must contain one of `expect`; then the same worker, warm, still answers `/ok`.
async fn bomb_is_contained(
    loader: &wasm_sandbox::Loader,
    body: &str,
    expect: &[&str],
    limits: Limits,
) {
    let src = format!(
        "export default {{ async fetch(request) {{ if (new URL(request.url).pathname === \"/ok\") return new Response(\"fine\"); {body} }} }};"
    );
    let w = loader
        .load(WorkerCode::js("bomb.js", src).with_limits(limits))
        .unwrap();
    let outcome = match w.entrypoint(None).fetch(get("https://w/")).await {
        Ok(r) => text(&r),
        Err(e) => e.to_string(),
    };
    assert!(
        expect.iter().any(|m| outcome.contains(m)),
        "{body}: {outcome}"
    );
    let ok = w.entrypoint(None).fetch(get("https://w/ok")).await.unwrap();
    assert_eq!(
        text(&ok),
        "fine",
        "{body}: the warm instance after the bomb"
    );
}
