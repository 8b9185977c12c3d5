//! The Web API surface Workers scripts use, checked from inside the sandbox.

use wasm_sandbox::WorkerCode;
use wasm_sandbox_tests::{get, json, loader, run_js};

/// Runs `checks` (a JS object literal of name -> expression) and expects each value to be `true`.
async fn expect_all_true(checks: &str) {
    let loader = loader().await;
    let src = format!(
        r#"export default {{ async fetch() {{
            const results = {{}};
            const checks = {checks};
            for (const [name, f] of Object.entries(checks)) {{
              try {{ results[name] = (await f()) === true ? true : String(await f()); }}
              catch (e) {{ results[name] = "threw " + e; }}
            }}
            return Response.json(results);
        }} }};"#
    );
    let v = json(&run_js(&loader, &src).await.unwrap());
    let failures: Vec<_> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| **r != serde_json::Value::Bool(true))
        .collect();
    assert!(failures.is_empty(), "failed checks: {failures:#?}");
}

#[tokio::test]
async fn request_response_headers() {
    expect_all_true(
        r##"{
        headersCase: () => { const h = new Headers({ "Content-Type": "a" }); h.append("X-A", "1"); h.append("x-a", "2"); return h.get("content-type") === "a" && h.get("X-A") === "1, 2" && h.has("x-a"); },
        headersIterSorted: () => JSON.stringify([...new Headers([["b", "2"], ["a", "1"]])]) === '[["a","1"],["b","2"]]',
        headersInvalid: () => { try { new Headers({ "bad name": "x" }); return false; } catch (e) { return e instanceof TypeError; } },
        headersInvalidTwice: () => { let n = 0; for (let i = 0; i < 2; i++) { try { new Headers().set("bad name", "x"); } catch (e) { n += e instanceof TypeError; } } return n === 2; },
        headersValueTrimmed: () => { const h = new Headers({ a: " \t x y \r\n", b: "" }); return h.get("a") === "x y" && h.get("b") === ""; },
        headersValueInvalid: () => ["a\nb", "a\rb", "a\0b"].every((v) => { try { new Headers({ a: v }); return false; } catch (e) { return e instanceof TypeError; } }),
        headersPairsNonArray: () => new Headers([new Set(["k", "v"])]).get("k") === "v",
        headersBadPair: () => { try { new Headers([["a", "b", "c"]]); return false; } catch (e) { return e instanceof TypeError; } },
        setCookie: () => { const h = new Headers(); h.append("set-cookie", "a=1"); h.append("set-cookie", "b=2"); return h.getSetCookie().length === 2; },
        responseJson: async () => { const r = Response.json({ a: 1 }, { status: 202 }); return r.status === 202 && r.headers.get("content-type") === "application/json" && (await r.json()).a === 1; },
        responseRedirect: () => { const r = Response.redirect("https://x.test/y", 301); return r.status === 301 && r.headers.get("location") === "https://x.test/y"; },
        responseDefaults: () => { const r = new Response(); return r.status === 200 && r.ok && r.statusText === "" && r.body === null; },
        responseBadStatus: () => { try { new Response("x", { status: 99 }); return false; } catch (e) { return e instanceof RangeError; } },
        bodyOnce: async () => { const r = new Response("x"); await r.text(); try { await r.text(); return false; } catch (e) { return e instanceof TypeError && r.bodyUsed; } },
        clone: async () => { const r = new Response("x"); const c = r.clone(); return (await r.text()) === "x" && (await c.text()) === "x"; },
        arrayBuffer: async () => { const b = await new Response(new Uint8Array([1, 2, 3])).arrayBuffer(); return b instanceof ArrayBuffer && b.byteLength === 3; },
        requestInit: async () => { const r = new Request("https://a.test/p", { method: "post", body: "hi", headers: { "x": "1" } }); return r.method === "POST" && (await r.text()) === "hi" && r.headers.get("x") === "1" && r.headers.get("content-type").startsWith("text/plain"); },
        requestGetBody: () => { try { new Request("https://a.test/", { body: "x" }); return false; } catch (e) { return e instanceof TypeError; } },
        requestFromRequest: () => { const r = new Request(new Request("https://a.test/", { method: "PUT" })); return r.method === "PUT" && r.url === "https://a.test/"; },
        requestRelative: () => { try { new Request("/relative"); return false; } catch (e) { return e instanceof TypeError; } },
        formBody: async () => { const r = new Response(new URLSearchParams({ a: "1 2" })); return r.headers.get("content-type").startsWith("application/x-www-form-urlencoded") && (await r.text()) === "a=1+2"; },
        bodyStream: async () => { const r = new Response("abc"); const reader = r.body.getReader(); const a = await reader.read(); const b = await reader.read(); return new TextDecoder().decode(a.value) === "abc" && !a.done && b.done && r.bodyUsed && r.body.locked; },
        bodyStreamIter: async () => { let n = 0; for await (const c of new Response(new Uint8Array([1, 2, 3])).body) n += c.length; return n === 3; },
        bodyStreamUsed: async () => { const r = new Response("x"); r.body.getReader(); try { await r.text(); return false; } catch (e) { return e instanceof TypeError; } },
        streamAsBody: async () => { const s = new ReadableStream({ start(c) { c.enqueue("he"); c.enqueue(new Uint8Array([108, 108, 111])); c.close(); } }); return (await new Response(s).text()) === "hello"; },
        streamAsyncSource: async () => { let n = 0; const r = new Response(new ReadableStream({ async pull(c) { await null; if (n === 2) c.close(); else c.enqueue(new TextEncoder().encode(String(n++))); } })); return (await r.text()) === "01"; },
        blob: async () => { const b = new Blob(["ab", new Uint8Array([99])], { type: "text/plain" }); return b.size === 3 && (await b.text()) === "abc"; },
    }"##,
    )
    .await;
}

#[tokio::test]
async fn url_and_search_params() {
    expect_all_true(
        r##"{
        parse: () => { const u = new URL("https://user:pw@Example.COM:8080/a/../b?x=1&y=2#frag"); return u.hostname === "example.com" && u.port === "8080" && u.pathname === "/b" && u.search === "?x=1&y=2" && u.hash === "#frag" && u.username === "user" && u.origin === "https://example.com:8080"; },
        base: () => new URL("../c?q", "https://a.test/x/y/z").href === "https://a.test/x/c?q",
        invalid: () => { try { new URL("not a url"); return false; } catch (e) { return e instanceof TypeError; } },
        canParse: () => URL.canParse("https://a.test") && !URL.canParse("nope"),
        setters: () => { const u = new URL("https://a.test/p"); u.pathname = "/q r"; u.searchParams.set("k", "v w"); u.hash = "h"; return u.href === "https://a.test/q%20r?k=v+w#h"; },
        searchSync: () => { const u = new URL("https://a.test/?a=1"); u.search = "?b=2"; return u.searchParams.get("b") === "2" && u.searchParams.get("a") === null; },
        idn: () => new URL("https://bücher.example/").hostname === "xn--bcher-kva.example",
        params: () => { const p = new URLSearchParams("?a=1&b=2&a=3"); p.append("c", "x&y"); p.delete("b"); return p.getAll("a").join() === "1,3" && p.toString() === "a=1&a=3&c=x%26y" && p.size === 3; },
        paramsSort: () => { const p = new URLSearchParams("z=1&a=2&m=3"); p.sort(); return [...p.keys()].join("") === "amz"; },
        paramsPairs: () => new URLSearchParams([["a", "1"], ["b", "2"]]).toString() === "a=1&b=2",
        json: () => JSON.stringify({ u: new URL("https://a.test") }) === '{"u":"https://a.test/"}',
    }"##,
    )
    .await;
}

#[tokio::test]
async fn encoding_base64_clone_crypto_misc() {
    expect_all_true(
        r##"{
        encode: () => { const b = new TextEncoder().encode("héllo €😀"); return b.length === 14 && b[1] === 0xc3; },
        decode: () => new TextDecoder().decode(new Uint8Array([0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80])) === "hé😀",
        decodeView: () => new TextDecoder().decode(new DataView(new Uint8Array([0x61, 0x62]).buffer)) === "ab",
        decodeLossy: () => new TextDecoder().decode(new Uint8Array([0x61, 0xff])) === "a\ufffd",
        decodeFatal: () => { try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])); return false; } catch (e) { return e instanceof TypeError; } },
        loneSurrogate: () => new TextEncoder().encode("\ud800").join() === "239,191,189",
        encodeInto: () => { const d = new Uint8Array(4); const r = new TextEncoder().encodeInto("aé€", d); return r.read === 2 && r.written === 3; },
        btoa: () => btoa("hello") === "aGVsbG8=" && btoa("") === "" && btoa("\xff\xfe") === "//4=",
        atob: () => atob("aGVsbG8=") === "hello" && atob(" aGVs bG8 ") === "hello",
        atobInvalid: () => { try { atob("***"); return false; } catch (e) { return e.name === "InvalidCharacterError"; } },
        btoaInvalid: () => { try { btoa("€"); return false; } catch (e) { return e.name === "InvalidCharacterError"; } },
        structuredClone: () => { const o = { d: new Date(5), m: new Map([[1, { x: 1 }]]), s: new Set([1]), a: new Uint8Array([1, 2]), n: [1, { y: 2 }] }; o.self = o; const c = structuredClone(o); return c !== o && c.self === c && c.d.getTime() === 5 && c.m.get(1).x === 1 && c.m.get(1) !== o.m.get(1) && c.s.has(1) && c.a[1] === 2 && c.n[1].y === 2; },
        structuredCloneFn: () => { try { structuredClone({ f() {} }); return false; } catch (e) { return e.name === "DataCloneError"; } },
        getRandomValues: () => { const a = new Uint32Array(8); crypto.getRandomValues(a); return a.some((x) => x !== 0); },
        getRandomValuesQuota: () => { try { crypto.getRandomValues(new Uint8Array(70000)); return false; } catch (e) { return e.name === "QuotaExceededError"; } },
        randomUUID: () => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
        mathRandom: () => { const x = Math.random(); return x >= 0 && x < 1 && Math.random() !== x; },
        abort: () => { const c = new AbortController(); let seen = false; c.signal.addEventListener("abort", () => { seen = true; }); c.abort(); return c.signal.aborted && seen && c.signal.reason.name === "AbortError"; },
        abortTimeout: async () => { const s = AbortSignal.timeout(5); await new Promise((r) => setTimeout(r, 20)); return s.aborted && s.reason.name === "TimeoutError"; },
        performanceNow: () => typeof performance.now() === "number",
        dateNow: () => Math.abs(Date.now() - new Date().getTime()) < 1000 && Date.now() > 1.7e12,
        fetchDisabled: async () => { try { await fetch("https://example.com/"); return false; } catch (e) { return e instanceof TypeError && e.message.includes("not permitted"); } },
        globals: () => typeof globalThis.process === "object" && typeof globalThis.Buffer === "function" && typeof globalThis.require === "undefined",
    }"##,
    )
    .await;
}

#[tokio::test]
async fn fresh_instances_do_not_share_randomness() {
    let loader = loader().await;
    let src = r#"export default { fetch() {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        return Response.json({ math: [Math.random(), Math.random()], bytes: [...bytes], uuid: crypto.randomUUID() });
    } };"#;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..4 {
        // Each load() is a fresh instance restored from the same snapshot.
        let worker = loader.load(WorkerCode::js("w.js", src)).unwrap();
        let v = json(
            &worker
                .entrypoint(None)
                .fetch(get("https://w/"))
                .await
                .unwrap(),
        );
        assert!(
            seen.insert(v["math"].to_string()),
            "Math.random repeated across instances"
        );
        assert!(
            seen.insert(v["bytes"].to_string()),
            "getRandomValues repeated across instances"
        );
        assert!(
            seen.insert(v["uuid"].to_string()),
            "randomUUID repeated across instances"
        );
    }
}
