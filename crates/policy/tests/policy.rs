//! OutboundPolicy: the two-step check, messages, deny-all and ceilings.

use std::net::IpAddr;

use wasm_sandbox_policy::{AddrClass, Denied, DenyKind, HostRule, OutboundPolicy, PolicyError};

const NONE: &[&str] = &[];

fn policy(allow: &[&str]) -> OutboundPolicy {
    OutboundPolicy::new(allow, NONE).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn denied(p: &OutboundPolicy, scheme: &str, host: &str, port: Option<u16>) -> Denied {
    match p.check_target(scheme, host, port) {
        Ok(()) => panic!("{scheme}://{host}:{port:?} was allowed"),
        Err(d) => d,
    }
}

// ---- construction ----

#[test]
fn default_is_deny_all() {
    let p = OutboundPolicy::default();
    assert!(p.is_deny_all());
    assert!(p.rules().is_empty());
    assert!(p.allow_private().is_empty());
    assert_eq!(p, OutboundPolicy::deny_all());
}

#[test]
fn new_parses_rules_and_cidrs() {
    let p =
        OutboundPolicy::new(&["https://a.test", "http://*.b.test:8080"], &["10.0.0.0/8"]).unwrap();
    assert!(!p.is_deny_all());
    let entries: Vec<&str> = p.rules().iter().map(HostRule::as_str).collect();
    assert_eq!(entries, ["https://a.test", "http://*.b.test:8080"]);
    assert_eq!(p.allow_private()[0].to_string(), "10.0.0.0/8");
}

#[test]
fn new_accepts_strings_and_empty_lists() {
    let allow = vec![String::from("https://a.test")];
    let private: Vec<String> = Vec::new();
    let p = OutboundPolicy::new(&allow, &private).unwrap();
    assert_eq!(p.rules().len(), 1);
    let p = OutboundPolicy::new(NONE, NONE).unwrap();
    assert!(p.is_deny_all());
}

#[test]
fn new_reports_the_bad_rule() {
    let e: PolicyError = OutboundPolicy::new(&["https://ok.test", "ok.test"], NONE).unwrap_err();
    assert_eq!(e.entry(), "ok.test");
    let s = e.to_string();
    assert!(
        s.starts_with("invalid outbound rule \"ok.test\": missing scheme"),
        "{s}"
    );
    assert!(s.contains("\"https://ok.test\""), "{s}");
}

#[test]
fn new_reports_the_bad_cidr() {
    let e = OutboundPolicy::new(&["https://ok.test"], &["10.0.0.0/8", "localhost"]).unwrap_err();
    assert_eq!(e.entry(), "localhost");
    assert!(e.to_string().contains("not an IP address"), "{e}");
}

#[test]
fn allow_public_allows_public_targets_only() {
    let p = OutboundPolicy::allow_public();
    assert!(p.check_target("https", "example.com", None).is_ok());
    assert!(p.check_target("http", "127.0.0.1", Some(8080)).is_ok());
    assert!(p.check_addr("127.0.0.1", ip("127.0.0.1")).is_err());
}

// ---- deny all ----

#[test]
fn deny_all_refuses_everything_with_no_outbound() {
    let p = OutboundPolicy::deny_all();
    let d = denied(&p, "https", "x.test", None);
    assert_eq!(d.kind, DenyKind::NoOutbound);
    assert_eq!(
        d.to_string(),
        "outbound network access is not permitted for this worker (globalOutbound is null) — cannot fetch https://x.test:443; to allow it, set globalOutbound to a list of rules such as [\"https://x.test\"]"
    );
    for (s, h, port) in [
        ("http", "127.0.0.1", None),
        ("https", "[::1]", Some(8443)),
        ("http", "example.com", Some(80)),
    ] {
        assert_eq!(denied(&p, s, h, port).kind, DenyKind::NoOutbound);
    }
}

#[test]
fn deny_all_message_for_an_invalid_host_is_still_one_line() {
    let d = denied(&OutboundPolicy::deny_all(), "https", "a\nb", Some(1));
    assert_eq!(d.kind, DenyKind::NoOutbound);
    assert!(!d.message.contains('\n'), "{}", d.message);
}

// ---- not allowed ----

#[test]
fn not_allowed_message_names_target_and_rule() {
    let p = policy(&["https://api.example.com"]);
    let d = denied(&p, "http", "evil.test", Some(8080));
    assert_eq!(d.kind, DenyKind::NotAllowed);
    assert_eq!(
        d.message,
        "outbound request to http://evil.test:8080 denied: no rule of this worker's globalOutbound allows it (add \"http://evil.test:8080\" to allow)"
    );
}

#[test]
fn not_allowed_suggestion_omits_default_port() {
    let p = policy(&["https://api.example.com"]);
    let d = denied(&p, "https", "Other.Example.com.", None);
    assert!(
        d.message
            .starts_with("outbound request to https://other.example.com:443 denied"),
        "{}",
        d.message
    );
    assert!(
        d.message
            .contains("(add \"https://other.example.com\" to allow)"),
        "{}",
        d.message
    );
}

#[test]
fn not_allowed_message_shows_odd_spelling() {
    let p = policy(&["https://api.example.com"]);
    let d = denied(&p, "http", "0x7f000001", None);
    assert!(d.message.contains("http://127.0.0.1:80"), "{}", d.message);
    assert!(
        d.message.contains("(add \"http://127.0.0.1\" to allow)"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("written as \"0x7f000001\""),
        "{}",
        d.message
    );
    let d = denied(&p, "http", "::1", Some(81));
    assert!(d.message.contains("http://[::1]:81"), "{}", d.message);
    assert!(!d.message.contains("written as"), "{}", d.message);
}

#[test]
fn unsupported_scheme_and_bad_host_are_not_allowed() {
    let p = policy(&["*://*:*"]);
    let d = denied(&p, "ftp", "a.test", Some(21));
    assert_eq!(d.kind, DenyKind::NotAllowed);
    assert!(d.message.contains("ftp://a.test:21"), "{}", d.message);
    assert!(d.message.contains("only http and https"), "{}", d.message);
    let d = denied(&p, "https", "exa mple.test", None);
    assert_eq!(d.kind, DenyKind::NotAllowed);
    assert!(d.message.contains("not a valid host"), "{}", d.message);
    let d = denied(&p, "http", "a.test", Some(0));
    assert!(d.message.contains("port 0"), "{}", d.message);
}

#[test]
fn first_matching_rule_allows_in_any_order() {
    let p = policy(&["https://a.test", "http://b.test:*", "https://*.c.test"]);
    assert!(p.check_target("https", "a.test", None).is_ok());
    assert!(p.check_target("http", "b.test", Some(1234)).is_ok());
    assert!(p.check_target("https", "x.c.test", None).is_ok());
    assert!(p.check_target("https", "c.test", None).is_err());
    assert!(p.check_target("http", "a.test", None).is_err());
}

#[test]
fn whatwg_ipv4_forms_all_mean_the_same_target() {
    let p = policy(&["http://127.0.0.1:8080"]);
    for h in [
        "127.0.0.1",
        "127.1",
        "0x7f000001",
        "2130706433",
        "0177.0.0.1",
        "0x7F.0.0.1",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
    ] {
        assert!(p.check_target("http", h, Some(8080)).is_ok(), "{h}");
        assert!(p.check_target("http", h, None).is_err(), "{h}");
    }
}

#[test]
fn ipv6_and_cidr_targets() {
    let p = policy(&[
        "http://[::1]:*",
        "https://10.0.0.0/8",
        "*://[fd00::/8]:8443",
    ]);
    assert!(p.check_target("http", "[::1]", Some(3000)).is_ok());
    assert!(p.check_target("http", "::1", None).is_ok());
    assert!(p.check_target("https", "10.9.8.7", None).is_ok());
    assert!(p.check_target("https", "10.9.8.7", Some(8443)).is_err());
    assert!(p.check_target("http", "[fd00::5]", Some(8443)).is_ok());
    assert!(p.check_target("https", "fd00::5", Some(8443)).is_ok());
    assert!(p.check_target("https", "fe80::5", Some(8443)).is_err());
}

// ---- special addresses ----

#[test]
fn special_address_message() {
    let p = policy(&["http://localhost"]);
    assert!(p.check_target("http", "localhost", None).is_ok());
    let d = p.check_addr("localhost", ip("127.0.0.1")).unwrap_err();
    assert_eq!(d.kind, DenyKind::SpecialAddress(AddrClass::Loopback));
    assert_eq!(
        d.to_string(),
        "outbound request to localhost refused: it resolves to 127.0.0.1, a loopback address; private and special-purpose addresses are reachable only when allowed by CIDR in allowPrivate (e.g. \"127.0.0.1/32\")"
    );
}

#[test]
fn special_address_message_for_literals_and_embedded_ipv4() {
    let p = policy(&["*://*:*"]);
    let d = p.check_addr("127.1", ip("127.0.0.1")).unwrap_err();
    assert!(
        d.message
            .contains("refused: 127.0.0.1 is a loopback address"),
        "{}",
        d.message
    );
    let d = p.check_addr("[::1]", ip("::1")).unwrap_err();
    assert!(
        d.message.contains("refused: ::1 is a loopback address"),
        "{}",
        d.message
    );
    assert!(d.message.contains("\"::1/128\""), "{}", d.message);
    let d = p
        .check_addr("nat64.test", ip("64:ff9b::7f00:1"))
        .unwrap_err();
    assert!(
        d.message
            .contains("64:ff9b::7f00:1 (embedding IPv4 127.0.0.1)"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("\"64:ff9b::7f00:1/128\""),
        "{}",
        d.message
    );
    let d = p
        .check_addr("meta\nbad", ip("169.254.169.254"))
        .unwrap_err();
    assert!(!d.message.contains('\n'));
    assert!(
        d.message
            .contains("link-local address (cloud metadata lives here)"),
        "{}",
        d.message
    );
}

#[test]
fn allow_private_opens_only_its_range() {
    let p = OutboundPolicy::new(&["http://127.0.0.1:*"], &["127.0.0.1/32"]).unwrap();
    assert!(p.check_target("http", "127.1", Some(3000)).is_ok());
    assert!(p.check_addr("127.1", ip("127.0.0.1")).is_ok());
    assert!(p.check_addr("x", ip("127.0.0.2")).is_err());
    assert!(p.check_addr("x", ip("::1")).is_err());
}

#[test]
fn denied_is_an_error() {
    let d = denied(&OutboundPolicy::deny_all(), "https", "x.test", None);
    let e: Box<dyn std::error::Error> = Box::new(d.clone());
    assert_eq!(e.to_string(), d.message);
}

// ---- ceilings ----

#[test]
fn within_requires_both_policies_to_allow() {
    let worker = policy(&["https://*.example.com", "https://other.test"]);
    let ceiling = policy(&["https://*.example.com:*"]);
    let p = worker.within(&ceiling);
    assert!(p.check_target("https", "api.example.com", None).is_ok());
    let d = denied(&p, "https", "other.test", None);
    assert_eq!(d.kind, DenyKind::Ceiling);
    assert!(
        d.message.contains("https://other.test:443"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("daemon-wide outbound ceiling"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("\"https://other.test\""),
        "{}",
        d.message
    );
    // The worker still has to allow it itself: the ceiling does not widen.
    let d = denied(&p, "https", "api.example.com", Some(8443));
    assert_eq!(d.kind, DenyKind::NotAllowed);
}

#[test]
fn within_keeps_own_rules_and_exposes_ceiling() {
    let ceiling = policy(&["*://*:*"]);
    let p = policy(&["https://a.test"]).within(&ceiling);
    assert_eq!(p.rules().len(), 1);
    assert_eq!(p.ceiling(), Some(&ceiling));
    assert!(!p.is_deny_all());
}

#[test]
fn within_deny_all_ceiling_denies_everything() {
    let p = policy(&["*://*:*"]).within(&OutboundPolicy::deny_all());
    assert!(p.is_deny_all());
    let d = denied(&p, "https", "a.test", None);
    assert_eq!(d.kind, DenyKind::Ceiling);
    assert!(d.message.contains("disabled daemon-wide"), "{}", d.message);
}

#[test]
fn deny_all_worker_within_open_ceiling_is_still_no_outbound() {
    let p = OutboundPolicy::deny_all().within(&OutboundPolicy::allow_public());
    assert!(p.is_deny_all());
    assert_eq!(
        denied(&p, "https", "a.test", None).kind,
        DenyKind::NoOutbound
    );
}

#[test]
fn within_intersects_allow_private() {
    let ceiling = OutboundPolicy::new(&["*://*:*"], &["10.0.0.0/8"]).unwrap();
    let worker = OutboundPolicy::new(&["*://*:*"], &["10.1.0.0/16", "127.0.0.1/32"]).unwrap();
    let p = worker.within(&ceiling);
    assert!(p.check_addr("a", ip("10.1.2.3")).is_ok());
    // Worker allows, ceiling does not.
    let d = p.check_addr("a", ip("127.0.0.1")).unwrap_err();
    assert_eq!(d.kind, DenyKind::Ceiling);
    assert!(d.message.contains("daemon's allowPrivate"), "{}", d.message);
    // Ceiling allows, worker does not.
    let d = p.check_addr("a", ip("10.2.0.1")).unwrap_err();
    assert_eq!(d.kind, DenyKind::SpecialAddress(AddrClass::Private));
    // Public addresses pass both.
    assert!(p.check_addr("a", ip("8.8.8.8")).is_ok());
}

#[test]
fn ceilings_stack() {
    let a = policy(&["https://*.example.com", "https://x.test"]);
    let b = policy(&["https://*.example.com"]);
    let p = policy(&["https://*"]).within(&a).within(&b);
    assert!(p.check_target("https", "w.example.com", None).is_ok());
    assert_eq!(denied(&p, "https", "x.test", None).kind, DenyKind::Ceiling);
    assert_eq!(denied(&p, "https", "y.test", None).kind, DenyKind::Ceiling);
    // Nested ceilings of the ceiling also apply.
    let inner = policy(&["https://*"]).within(&b);
    let p = policy(&["https://x.test"]).within(&inner);
    assert_eq!(denied(&p, "https", "x.test", None).kind, DenyKind::Ceiling);
}

#[test]
fn policy_is_clone_and_debug() {
    let p = OutboundPolicy::new(&["https://a.test"], &["10.0.0.0/8"]).unwrap();
    let q = p.clone();
    assert_eq!(p, q);
    assert!(format!("{p:?}").contains("a.test"));
}
