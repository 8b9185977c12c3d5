//! The Kubernetes deployment's config (`deploy/kubernetes/configmap.yaml`, key `config.toml`) is
//! one the daemon accepts: read by the function `wasm-sandbox serve --config` uses
//! ([`ServerConfig::from_file`]), then checked by [`ServerConfig::validate`] with what the
//! Deployment adds from its Secret (`WASM_SANDBOX_TOKEN`, `WASM_SANDBOX_DATABASE_URL`), as
//! `serve` does. `deploy/validate.sh` checks the manifests around it (ports, probes, grace
//! period, selectors).
//!
//! `WASM_SANDBOX_DEPLOY_CONFIGMAP=path/to/configmap.yaml` checks another ConfigMap (an
//! overlay's) instead.

use std::net::SocketAddr;
use std::path::PathBuf;

use wasm_sandbox_server::config::StoreBackend;
use wasm_sandbox_server::ServerConfig;

fn deploy_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/kubernetes")
        .join(name)
}

fn configmap_path() -> PathBuf {
    std::env::var_os("WASM_SANDBOX_DEPLOY_CONFIGMAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| deploy_file("configmap.yaml"))
}

/// The text of `key: |` (a literal block scalar, `|`, `|-` or `|+`) in a YAML file: the lines
/// after it that are indented more than the key, with that indentation removed. Enough for a
/// ConfigMap that carries a file; anything else (a folded `>` block, a quoted one-line value,
/// an explicit indentation indicator) is `None`, and the test says so.
fn block_scalar(yaml: &str, key: &str) -> Option<String> {
    let mut lines = yaml.lines();
    let (key_indent, chomp) = loop {
        let line = lines.next()?;
        let trimmed = line.trim_start();
        let rest = [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .find_map(|k| trimmed.strip_prefix(k.as_str()))
            .and_then(|r| r.trim_start().strip_prefix(':'));
        let Some(rest) = rest else { continue };
        let indicator = rest.split('#').next().unwrap_or("").trim();
        match indicator {
            "|" | "|-" | "|+" => break (line.len() - trimmed.len(), indicator),
            _ => return None,
        }
    };
    let mut content_indent = None;
    let mut body: Vec<&str> = Vec::new();
    for line in lines {
        let indent = line.len() - line.trim_start().len();
        if line.trim().is_empty() {
            body.push("");
            continue;
        }
        let n = *content_indent.get_or_insert(indent);
        if indent <= key_indent || indent < n {
            break;
        }
        body.push(&line[n..]);
    }
    content_indent?;
    let mut text = body.join("\n");
    match chomp {
        "|+" => text.push('\n'),
        _ => {
            let trimmed = text.trim_end_matches('\n').len();
            text.truncate(trimmed);
            if chomp == "|" {
                text.push('\n');
            }
        }
    }
    Some(text)
}

/// The ConfigMap's `config.toml`, read with `ServerConfig::from_file` (through a file, as
/// `serve --config` reads it).
fn deployed_config() -> ServerConfig {
    let path = configmap_path();
    let yaml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let toml = block_scalar(&yaml, "config.toml").unwrap_or_else(|| {
        panic!(
            "{}: no `config.toml: |` literal block found",
            path.display()
        )
    });
    // One file per call: the tests run in parallel in one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("deploy-config-{}-{n}.toml", std::process::id()));
    std::fs::write(&file, &toml).unwrap();
    let parsed = ServerConfig::from_file(&file);
    let _ = std::fs::remove_file(&file);
    parsed.unwrap_or_else(|e| {
        panic!(
            "{}'s config.toml is not a config the daemon accepts:\n{e:#}",
            path.display()
        )
    })
}

#[test]
fn the_configmap_is_a_valid_daemon_config() {
    let mut config = deployed_config();

    // Secrets stay out of the ConfigMap: the Deployment gives both from its Secret.
    assert_eq!(config.token, None, "the token belongs in the Secret");
    assert_eq!(config.store.backend, StoreBackend::Postgres);
    assert_eq!(
        config.store.url, None,
        "the database URL (with its password) belongs in the Secret"
    );
    assert_eq!(
        config.data_dir,
        Some(PathBuf::from("/var/lib/wasm-sandbox")),
        "data_dir is the emptyDir deployment.yaml mounts"
    );

    // Without the Secret's URL the daemon would refuse to start: the env is needed.
    config.token = Some("a-Valid-t0ken-of-32-characters-x".into());
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("WASM_SANDBOX_DATABASE_URL"), "{err}");

    // What `serve` does with the Deployment's environment, then the daemon's own checks.
    config.store.url = Some("postgres://wasm_sandbox:secret@postgres:5432/wasm_sandbox".into());
    let addr: SocketAddr = config
        .validate()
        .unwrap_or_else(|e| panic!("the deployed config fails the daemon's checks: {e:#}"));
    assert!(
        addr.ip().is_unspecified(),
        "listens on every interface of the pod"
    );
    assert_eq!(
        addr.port(),
        8787,
        "deployment.yaml's containerPort and probes use 8787"
    );
    // The runtime's configuration follows from it (deploy/validate.sh checks the sizing
    // against the pod's CPU and memory).
    let engine = config.engine_config();
    assert!(engine.max_instances as usize > config.max_concurrent_requests);
    assert!(
        config.drain_ms > 0,
        "readiness must fail before the listener closes"
    );
}

#[test]
fn the_secrets_placeholder_token_is_refused() {
    // A Secret applied with its placeholders must fail at start, not run with a known token.
    let text = std::fs::read_to_string(deploy_file("secret.yaml")).unwrap();
    let token = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("token:"))
        .map(|v| v.trim().trim_matches('"').trim_matches('\''))
        .expect("secret.yaml has a `token:` entry");
    let mut config = deployed_config();
    config.token = Some(token.to_string());
    config.store.url = Some("postgres://u:p@db/wasm_sandbox".into());
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("token"), "{err}");
}

#[test]
fn block_scalars_are_read_as_yaml_reads_them() {
    let yaml = "\
apiVersion: v1
data:
  other: x
  config.toml: |  # a comment
    a = 1

    [t]
      b = \"#\"  # indented more: kept

  next: |-
    z
metadata:
  name: n
";
    assert_eq!(
        block_scalar(yaml, "config.toml").unwrap(),
        "a = 1\n\n[t]\n  b = \"#\"  # indented more: kept\n"
    );
    assert_eq!(block_scalar(yaml, "next").unwrap(), "z");
    assert_eq!(block_scalar(yaml, "other"), None);
    assert_eq!(block_scalar(yaml, "missing"), None);
}
