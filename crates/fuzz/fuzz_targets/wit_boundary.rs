//! The host side of the WIT boundary: the values a script passes in binding calls (KV, files,
//! tools, service requests) and in its response, on arbitrary input. Nothing may panic, and
//! what is accepted must be what the host can act on safely: KV keys and values within Workers'
//! limits, file paths that stay inside the lent directory, tool inputs checked without
//! unbounded recursion, and request/response heads that are valid HTTP.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wasm_sandbox_spec::boundary::*;

#[derive(Arbitrary, Debug)]
enum Call {
    KvKey(String),
    KvPut {
        key: String,
        value_len: u32,
        metadata: Option<String>,
        ttl: Option<u64>,
        expiration: Option<u64>,
        now: u64,
    },
    KvList(Option<u32>),
    KvCursor(String, String),
    FilesPath(String, bool),
    ToolInput(String, String),
    ToolName(String),
    Request(String, String, Vec<(String, String)>),
    Response(u16, Vec<(String, String)>),
}

fuzz_target!(|calls: Vec<Call>| {
    for call in calls {
        run(call);
    }
});

fn run(call: Call) {
    match call {
        Call::KvKey(key) => {
            if kv_key(&key).is_ok() {
                assert!((1..=MAX_KEY_BYTES).contains(&key.len()) && key != "." && key != "..");
            }
        }
        Call::KvPut {
            key,
            value_len,
            metadata,
            ttl,
            expiration,
            now,
        } => {
            if let Ok(exp) = kv_put(&key, value_len as usize, metadata.as_deref(), ttl, expiration, now) {
                assert!(value_len as usize <= MAX_VALUE_BYTES);
                assert!(metadata.as_ref().is_none_or(|m| m.len() <= MAX_METADATA_BYTES
                    && serde_json::from_str::<Value>(m).is_ok()));
                assert!(exp.is_none_or(|e| e > now || now == u64::MAX));
                assert_eq!(exp.is_some(), ttl.is_some() || expiration.is_some());
            }
        }
        Call::KvList(limit) => assert!((1..=MAX_LIST_LIMIT).contains(&kv_list_limit(limit))),
        Call::KvCursor(key, cursor) => {
            assert_eq!(kv_after_cursor(&kv_cursor(&key)).as_deref(), Ok(key.as_str()));
            let _ = kv_after_cursor(&cursor);
        }
        Call::FilesPath(path, allow_root) => {
            if let Ok(p) = files_path(&path, allow_root) {
                assert!(p.is_relative());
                assert!(p.components().all(|c| matches!(c, Component::Normal(_))));
                assert!(Path::new("/srv/lent").join(&p).starts_with("/srv/lent"));
                assert!(!p.as_os_str().is_empty() || allow_root);
                assert!(!p.to_string_lossy().contains('\0'));
            }
        }
        Call::ToolInput(schema, value) => {
            if let (Ok(schema), Ok(value)) = (
                serde_json::from_str::<Value>(&schema),
                serde_json::from_str::<Value>(&value),
            ) {
                let _ = tool_input(&schema, &value, "input");
            }
        }
        Call::ToolName(name) => {
            if tool_name(&name) {
                assert!(name.len() <= 64 && !name.starts_with(|c: char| c.is_ascii_digit()));
                assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$'));
            }
        }
        Call::Request(method, url, headers) => {
            let pairs = headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if let Ok(head) = request_head(&method, &url, pairs) {
                assert_eq!(head.method().as_str(), method);
                assert!(head.uri().scheme().is_some() && head.uri().authority().is_some());
                assert_eq!(head.headers().len(), headers.len());
            }
        }
        Call::Response(status, headers) => {
            let pairs = headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if let Ok(head) = response_head(status, pairs) {
                assert!((200..=599).contains(&head.status().as_u16()));
                assert_eq!(head.headers().len(), headers.len());
            }
        }
    }
}
