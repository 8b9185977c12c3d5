//! The outbound rule and CIDR parsers and the matcher, on arbitrary input: nothing may panic,
//! and a policy that parses must give the same answer twice and deny special addresses unless
//! a CIDR it was given covers them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use wasm_sandbox_policy::{classify, embedded_ipv4, OutboundPolicy};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let rules: Vec<&str> = parts.next().unwrap_or("").split(' ').collect();
    let cidrs: Vec<&str> = parts
        .next()
        .unwrap_or("")
        .split(' ')
        .filter(|c| !c.is_empty())
        .collect();
    let target = parts.next().unwrap_or("");
    let Ok(policy) = OutboundPolicy::new(&rules, &cidrs) else {
        return;
    };
    let (scheme, rest) = target.split_once("://").unwrap_or(("https", target));
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()),
        None => (rest, None),
    };
    let first = policy.check_target(scheme, host, port).is_ok();
    assert_eq!(first, policy.check_target(scheme, host, port).is_ok());
    // Addresses from the input's bytes: special ones are refused unless allowed by CIDR.
    let mut b = [0u8; 16];
    for (i, x) in data.iter().rev().take(16).enumerate() {
        b[i] = *x;
    }
    for ip in [
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        IpAddr::V6(Ipv6Addr::from(b)),
    ] {
        let allowed = policy.check_addr(host, ip).is_ok();
        if allowed && classify(ip).is_special() {
            let v4 = match ip {
                IpAddr::V6(v6) => embedded_ipv4(v6).map(IpAddr::V4),
                IpAddr::V4(_) => None,
            };
            assert!(
                policy
                    .allow_private()
                    .iter()
                    .any(|c| c.contains(ip) || v4.is_some_and(|v| c.contains(v))),
                "{ip} is special and no CIDR allows it"
            );
        }
    }
});
