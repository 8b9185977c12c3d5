//! The SSRF corpus: every special-purpose address is refused by default, is allowed by a
//! matching `allow_private` CIDR (and by the CIDR the message suggests), and stays
//! refused under a non-matching one. Public addresses always pass.

use std::net::IpAddr;

use wasm_sandbox_policy::{classify, AddrClass, Cidr, DenyKind, OutboundPolicy};

/// (address, class, a natural CIDR that includes it, a CIDR that does not)
const CORPUS: &[(&str, AddrClass, &str, &str)] = &[
    (
        "127.0.0.1",
        AddrClass::Loopback,
        "127.0.0.0/8",
        "10.0.0.0/8",
    ),
    (
        "127.1.2.3",
        AddrClass::Loopback,
        "127.0.0.0/8",
        "127.0.0.1/32",
    ),
    (
        "0.0.0.0",
        AddrClass::Unspecified,
        "0.0.0.0/8",
        "127.0.0.0/8",
    ),
    (
        "10.1.2.3",
        AddrClass::Private,
        "10.0.0.0/8",
        "172.16.0.0/12",
    ),
    (
        "172.16.5.4",
        AddrClass::Private,
        "172.16.0.0/12",
        "10.0.0.0/8",
    ),
    (
        "172.31.255.254",
        AddrClass::Private,
        "172.16.0.0/12",
        "172.16.0.0/16",
    ),
    (
        "192.168.1.1",
        AddrClass::Private,
        "192.168.0.0/16",
        "192.168.2.0/24",
    ),
    (
        "100.64.0.1",
        AddrClass::SharedCgnat,
        "100.64.0.0/10",
        "100.0.0.0/10",
    ),
    (
        "169.254.169.254",
        AddrClass::LinkLocal,
        "169.254.0.0/16",
        "169.254.0.0/24",
    ),
    ("::1", AddrClass::Loopback, "::1/128", "127.0.0.0/8"),
    ("::", AddrClass::Unspecified, "::/128", "::1/128"),
    ("fe80::1", AddrClass::LinkLocal, "fe80::/10", "fd00::/8"),
    ("fd00::1", AddrClass::UniqueLocal, "fd00::/8", "fe80::/10"),
    ("fc00::1", AddrClass::UniqueLocal, "fc00::/7", "fd00::/8"),
    (
        "::ffff:127.0.0.1",
        AddrClass::Loopback,
        "127.0.0.0/8",
        "::1/128",
    ),
    (
        "::ffff:169.254.169.254",
        AddrClass::LinkLocal,
        "169.254.169.254/32",
        "169.254.169.253/32",
    ),
    (
        "::ffff:10.0.0.1",
        AddrClass::Private,
        "::ffff:10.0.0.0/104",
        "::1/128",
    ),
    (
        "::127.0.0.1",
        AddrClass::Loopback,
        "::127.0.0.1/128",
        "127.0.0.1/32",
    ),
    (
        "64:ff9b::7f00:1",
        AddrClass::Loopback,
        "64:ff9b::/96",
        "127.0.0.1/32",
    ),
    (
        "64:ff9b::a9fe:a9fe",
        AddrClass::LinkLocal,
        "64:ff9b::/96",
        "169.254.0.0/16",
    ),
    (
        "2002:7f00:1::",
        AddrClass::Loopback,
        "2002::/16",
        "127.0.0.1/32",
    ),
    (
        "2002:c0a8:101::1",
        AddrClass::Private,
        "2002:c0a8::/32",
        "192.168.0.0/16",
    ),
    (
        "224.0.0.1",
        AddrClass::Multicast,
        "224.0.0.0/4",
        "225.0.0.0/8",
    ),
    ("ff02::1", AddrClass::Multicast, "ff00::/8", "fe80::/10"),
    (
        "255.255.255.255",
        AddrClass::Broadcast,
        "255.255.255.255/32",
        "240.0.0.0/5",
    ),
    (
        "192.0.2.1",
        AddrClass::Documentation,
        "192.0.2.0/24",
        "192.0.3.0/24",
    ),
    (
        "198.51.100.1",
        AddrClass::Documentation,
        "198.51.100.0/24",
        "198.51.0.0/24",
    ),
    (
        "203.0.113.9",
        AddrClass::Documentation,
        "203.0.113.0/24",
        "203.0.0.0/24",
    ),
    (
        "2001:db8::1",
        AddrClass::Documentation,
        "2001:db8::/32",
        "2001:db9::/32",
    ),
    (
        "198.18.0.1",
        AddrClass::Benchmarking,
        "198.18.0.0/15",
        "198.20.0.0/15",
    ),
    (
        "240.0.0.1",
        AddrClass::Reserved,
        "240.0.0.0/4",
        "224.0.0.0/4",
    ),
    (
        "192.0.0.1",
        AddrClass::Reserved,
        "192.0.0.0/24",
        "192.0.2.0/24",
    ),
    ("fec0::1", AddrClass::Reserved, "fec0::/10", "fe80::/10"),
];

const PUBLIC: &[&str] = &[
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::",
];

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn open(private: &[&str]) -> OutboundPolicy {
    OutboundPolicy::new(&["*://*:*"], private).unwrap()
}

#[test]
fn corpus_is_classified_as_expected() {
    for (a, class, _, _) in CORPUS {
        assert_eq!(classify(ip(a)), *class, "{a}");
    }
}

#[test]
fn corpus_is_refused_by_default() {
    let p = open(&[]);
    for (a, class, _, _) in CORPUS {
        let d = p.check_addr("victim.example", ip(a)).unwrap_err();
        assert_eq!(d.kind, DenyKind::SpecialAddress(*class), "{a}");
        assert!(d.message.contains("victim.example"), "{}", d.message);
        assert!(d.message.contains("allowPrivate"), "{}", d.message);
        assert!(!d.message.contains('\n'));
    }
}

#[test]
fn corpus_is_refused_even_by_the_deny_all_policy() {
    let p = OutboundPolicy::deny_all();
    for (a, _, _, _) in CORPUS {
        assert!(p.check_addr("x", ip(a)).is_err(), "{a}");
    }
}

#[test]
fn corpus_is_allowed_by_a_matching_cidr() {
    for (a, _, cidr, _) in CORPUS {
        let p = open(&[cidr]);
        assert_eq!(p.check_addr("h", ip(a)), Ok(()), "{a} with {cidr}");
    }
}

#[test]
fn corpus_is_allowed_by_the_single_address_cidr() {
    for (a, _, _, _) in CORPUS {
        let single = Cidr::single(ip(a)).to_string();
        let p = open(&[single.as_str()]);
        assert_eq!(p.check_addr("h", ip(a)), Ok(()), "{a} with {single}");
    }
}

#[test]
fn corpus_is_allowed_by_the_cidr_the_message_suggests() {
    let p = open(&[]);
    for (a, _, _, _) in CORPUS {
        let msg = p.check_addr("h", ip(a)).unwrap_err().message;
        let start = msg.find("(e.g. \"").unwrap() + 7;
        let end = start + msg[start..].find('"').unwrap();
        let suggested = &msg[start..end];
        let allowed = open(&[suggested]);
        assert_eq!(allowed.check_addr("h", ip(a)), Ok(()), "{a}: {suggested}");
    }
}

#[test]
fn corpus_stays_refused_under_a_non_matching_cidr() {
    for (a, class, _, other) in CORPUS {
        let p = open(&[other]);
        let d = p.check_addr("h", ip(a)).unwrap_err();
        assert_eq!(d.kind, DenyKind::SpecialAddress(*class), "{a} with {other}");
    }
}

#[test]
fn everything_allowed_with_zero_prefixes() {
    let p = open(&["0.0.0.0/0", "::/0"]);
    for (a, _, _, _) in CORPUS {
        assert_eq!(p.check_addr("h", ip(a)), Ok(()), "{a}");
    }
}

#[test]
fn public_addresses_are_allowed() {
    for p in [open(&[]), OutboundPolicy::deny_all(), open(&["10.0.0.0/8"])] {
        for a in PUBLIC {
            assert_eq!(classify(ip(a)), AddrClass::Public, "{a}");
            assert_eq!(p.check_addr("example.com", ip(a)), Ok(()), "{a}");
        }
    }
}

#[test]
fn mapped_metadata_address_needs_the_ipv4_cidr() {
    let p = open(&["127.0.0.0/8"]);
    let d = p
        .check_addr("rebind.test", ip("::ffff:169.254.169.254"))
        .unwrap_err();
    assert_eq!(d.kind, DenyKind::SpecialAddress(AddrClass::LinkLocal));
    assert!(d.message.contains("cloud metadata"), "{}", d.message);
    assert!(
        d.message.contains("\"169.254.169.254/32\""),
        "{}",
        d.message
    );
}

#[test]
fn allowing_127_slash_32_does_not_allow_the_nat64_or_6to4_forms() {
    let p = open(&["127.0.0.1/32"]);
    assert_eq!(p.check_addr("h", ip("127.0.0.1")), Ok(()));
    assert_eq!(p.check_addr("h", ip("::ffff:127.0.0.1")), Ok(()));
    assert!(p.check_addr("h", ip("64:ff9b::7f00:1")).is_err());
    assert!(p.check_addr("h", ip("2002:7f00:1::")).is_err());
    assert!(p.check_addr("h", ip("::127.0.0.1")).is_err());
}
