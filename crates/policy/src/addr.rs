use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Classification of an IP address for SSRF purposes.
///
/// Everything but [`AddrClass::Public`] is a special-purpose address that a sandboxed
/// script may reach only when a policy's `allow_private` CIDRs include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrClass {
    /// Globally reachable unicast.
    Public,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918: `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`.
    Private,
    /// RFC 6598 carrier-grade NAT: `100.64.0.0/10`.
    SharedCgnat,
    /// `169.254.0.0/16` (incl. the cloud metadata service `169.254.169.254`), `fe80::/10`.
    LinkLocal,
    /// `fc00::/7`.
    UniqueLocal,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `0.0.0.0/8` ("this network"), `::`.
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// `240.0.0.0/4`, `192.0.0.0/24`, `192.88.99.0/24`, site-local `fec0::/10`,
    /// `2001::/23` (IETF protocol assignments, Teredo), `64:ff9b:1::/48`, and every
    /// IPv6 address outside global unicast `2000::/3` not classified otherwise.
    Reserved,
}

impl AddrClass {
    /// `true` only for [`AddrClass::Public`].
    pub fn is_public(self) -> bool {
        self == AddrClass::Public
    }

    /// `true` for every class but [`AddrClass::Public`].
    pub fn is_special(self) -> bool {
        !self.is_public()
    }

    /// Short name, as used by `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddrClass::Public => "public",
            AddrClass::Loopback => "loopback",
            AddrClass::Private => "private",
            AddrClass::SharedCgnat => "shared (carrier-grade NAT)",
            AddrClass::LinkLocal => "link-local (cloud metadata lives here)",
            AddrClass::UniqueLocal => "unique-local",
            AddrClass::Multicast => "multicast",
            AddrClass::Unspecified => "unspecified",
            AddrClass::Broadcast => "broadcast",
            AddrClass::Documentation => "documentation",
            AddrClass::Benchmarking => "benchmarking",
            AddrClass::Reserved => "reserved",
        }
    }

    /// The class with an article, for messages: "a loopback address".
    pub fn phrase(self) -> &'static str {
        match self {
            AddrClass::Public => "a public address",
            AddrClass::Loopback => "a loopback address",
            AddrClass::Private => "a private address",
            AddrClass::SharedCgnat => "a shared (carrier-grade NAT) address",
            AddrClass::LinkLocal => "a link-local address (cloud metadata lives here)",
            AddrClass::UniqueLocal => "a unique-local address",
            AddrClass::Multicast => "a multicast address",
            AddrClass::Unspecified => "an unspecified address",
            AddrClass::Broadcast => "a broadcast address",
            AddrClass::Documentation => "a documentation address",
            AddrClass::Benchmarking => "a benchmarking address",
            AddrClass::Reserved => "a reserved special-purpose address",
        }
    }
}

impl fmt::Display for AddrClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classify an address. IPv6 addresses that embed an IPv4 address are classified by
/// the embedded address (see [`embedded_ipv4`]).
pub fn classify(ip: IpAddr) -> AddrClass {
    match ip {
        IpAddr::V4(a) => classify_v4(a),
        IpAddr::V6(a) => classify_v6(a),
    }
}

/// The IPv4 address embedded in an IPv6 address that a connection to it may end up at:
/// IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96` (except `::` and `::1`),
/// NAT64 well-known prefix `64:ff9b::/96`, and 6to4 `2002::/16` (bits 16..48).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0; 6] {
        // IPv4-compatible; `::` and `::1` are the IPv6 unspecified and loopback addresses.
        return if ip.is_unspecified() || ip.is_loopback() {
            None
        } else {
            Some(low(s[6], s[7]))
        };
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    None
}

fn classify_v4(a: Ipv4Addr) -> AddrClass {
    let o = a.octets();
    match o {
        [0, ..] => AddrClass::Unspecified,
        [127, ..] => AddrClass::Loopback,
        [10, ..] | [192, 168, ..] => AddrClass::Private,
        [172, b, ..] if b & 0xf0 == 16 => AddrClass::Private,
        [100, b, ..] if b & 0xc0 == 64 => AddrClass::SharedCgnat,
        [169, 254, ..] => AddrClass::LinkLocal,
        [255, 255, 255, 255] => AddrClass::Broadcast,
        [224..=239, ..] => AddrClass::Multicast,
        [240..=255, ..] => AddrClass::Reserved,
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => AddrClass::Documentation,
        [198, b, ..] if b & 0xfe == 18 => AddrClass::Benchmarking,
        // IETF protocol assignments (incl. DS-Lite, NAT64 discovery) and the deprecated
        // 6to4 relay anycast prefix.
        [192, 0, 0, _] | [192, 88, 99, _] => AddrClass::Reserved,
        _ => AddrClass::Public,
    }
}

fn classify_v6(a: Ipv6Addr) -> AddrClass {
    if a.is_unspecified() {
        return AddrClass::Unspecified;
    }
    if a.is_loopback() {
        return AddrClass::Loopback;
    }
    if let Some(v4) = embedded_ipv4(a) {
        return classify_v4(v4);
    }
    let s = a.segments();
    if s[0] & 0xff00 == 0xff00 {
        AddrClass::Multicast
    } else if s[0] & 0xffc0 == 0xfe80 {
        AddrClass::LinkLocal
    } else if s[0] & 0xffc0 == 0xfec0 {
        AddrClass::Reserved // deprecated site-local
    } else if s[0] & 0xfe00 == 0xfc00 {
        AddrClass::UniqueLocal
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] & 0xf000 == 0) {
        AddrClass::Documentation
    } else if s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0 {
        AddrClass::Benchmarking
    } else if s[0] == 0x2001 && s[1] < 0x0200 {
        AddrClass::Reserved // 2001::/23 IETF protocol assignments, incl. Teredo 2001::/32
    } else if s[0] & 0xe000 != 0x2000 {
        // Outside global unicast 2000::/3: 64:ff9b:1::/48, 100::/64 discard, 5f00::/16
        // SRv6, ::ffff:0:0:0/96 SIIT, and unassigned space.
        AddrClass::Reserved
    } else {
        AddrClass::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> AddrClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn ipv4_loopback_whole_slash8() {
        assert_eq!(c("127.0.0.1"), AddrClass::Loopback);
        assert_eq!(c("127.1.2.3"), AddrClass::Loopback);
        assert_eq!(c("127.255.255.255"), AddrClass::Loopback);
    }

    #[test]
    fn ipv4_private_ranges_and_their_edges() {
        for a in [
            "10.0.0.0",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "192.168.255.255",
        ] {
            assert_eq!(c(a), AddrClass::Private, "{a}");
        }
        for a in [
            "11.0.0.1",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
        ] {
            assert_eq!(c(a), AddrClass::Public, "{a}");
        }
    }

    #[test]
    fn ipv4_cgnat_edges() {
        assert_eq!(c("100.64.0.0"), AddrClass::SharedCgnat);
        assert_eq!(c("100.127.255.255"), AddrClass::SharedCgnat);
        assert_eq!(c("100.63.255.255"), AddrClass::Public);
        assert_eq!(c("100.128.0.0"), AddrClass::Public);
    }

    #[test]
    fn ipv4_link_local_and_metadata() {
        assert_eq!(c("169.254.169.254"), AddrClass::LinkLocal);
        assert_eq!(c("169.254.0.1"), AddrClass::LinkLocal);
        assert_eq!(c("169.253.0.1"), AddrClass::Public);
    }

    #[test]
    fn ipv4_this_network_is_unspecified() {
        assert_eq!(c("0.0.0.0"), AddrClass::Unspecified);
        assert_eq!(c("0.1.2.3"), AddrClass::Unspecified);
    }

    #[test]
    fn ipv4_multicast_broadcast_reserved() {
        assert_eq!(c("224.0.0.1"), AddrClass::Multicast);
        assert_eq!(c("239.255.255.255"), AddrClass::Multicast);
        assert_eq!(c("255.255.255.255"), AddrClass::Broadcast);
        assert_eq!(c("255.255.255.254"), AddrClass::Reserved);
        assert_eq!(c("240.0.0.1"), AddrClass::Reserved);
        assert_eq!(c("192.0.0.8"), AddrClass::Reserved);
        assert_eq!(c("192.88.99.1"), AddrClass::Reserved);
    }

    #[test]
    fn ipv4_documentation_and_benchmarking() {
        for a in ["192.0.2.1", "198.51.100.7", "203.0.113.255"] {
            assert_eq!(c(a), AddrClass::Documentation, "{a}");
        }
        assert_eq!(c("198.18.0.1"), AddrClass::Benchmarking);
        assert_eq!(c("198.19.255.255"), AddrClass::Benchmarking);
        assert_eq!(c("198.20.0.0"), AddrClass::Public);
        assert_eq!(c("198.17.255.255"), AddrClass::Public);
        assert_eq!(c("192.0.3.1"), AddrClass::Public);
    }

    #[test]
    fn ipv4_public() {
        for a in ["8.8.8.8", "1.1.1.1", "93.184.216.34", "223.255.255.255"] {
            assert_eq!(c(a), AddrClass::Public, "{a}");
        }
    }

    #[test]
    fn ipv6_basic_classes() {
        assert_eq!(c("::1"), AddrClass::Loopback);
        assert_eq!(c("::"), AddrClass::Unspecified);
        assert_eq!(c("fe80::1"), AddrClass::LinkLocal);
        assert_eq!(c("febf::1"), AddrClass::LinkLocal);
        assert_eq!(c("fec0::1"), AddrClass::Reserved);
        assert_eq!(c("fd00::1"), AddrClass::UniqueLocal);
        assert_eq!(c("fc00::1"), AddrClass::UniqueLocal);
        assert_eq!(c("ff02::1"), AddrClass::Multicast);
        assert_eq!(c("2001:db8::1"), AddrClass::Documentation);
        assert_eq!(c("3fff::1"), AddrClass::Documentation);
        assert_eq!(c("2001:2::1"), AddrClass::Benchmarking);
        assert_eq!(c("2001::1"), AddrClass::Reserved);
        assert_eq!(c("100::1"), AddrClass::Reserved);
        assert_eq!(c("64:ff9b:1::1"), AddrClass::Reserved);
        assert_eq!(c("4000::1"), AddrClass::Reserved);
    }

    #[test]
    fn ipv6_public() {
        for a in ["2606:4700::1111", "2001:4860:4860::8888", "2a00:1450::1"] {
            assert_eq!(c(a), AddrClass::Public, "{a}");
        }
    }

    #[test]
    fn ipv6_embedded_ipv4_is_classified_by_the_ipv4() {
        assert_eq!(c("::ffff:127.0.0.1"), AddrClass::Loopback);
        assert_eq!(c("::ffff:169.254.169.254"), AddrClass::LinkLocal);
        assert_eq!(c("::ffff:10.0.0.1"), AddrClass::Private);
        assert_eq!(c("::ffff:8.8.8.8"), AddrClass::Public);
        assert_eq!(c("::127.0.0.1"), AddrClass::Loopback);
        assert_eq!(c("::10.1.2.3"), AddrClass::Private);
        assert_eq!(c("64:ff9b::7f00:1"), AddrClass::Loopback);
        assert_eq!(c("64:ff9b::a9fe:a9fe"), AddrClass::LinkLocal);
        assert_eq!(c("64:ff9b::808:808"), AddrClass::Public);
        assert_eq!(c("2002:7f00:1::"), AddrClass::Loopback);
        assert_eq!(c("2002:a9fe:a9fe::1"), AddrClass::LinkLocal);
        assert_eq!(c("2002:808:808::1"), AddrClass::Public);
    }

    #[test]
    fn embedded_ipv4_extraction() {
        let e = |s: &str| embedded_ipv4(s.parse().unwrap());
        assert_eq!(e("::ffff:1.2.3.4"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(e("::1.2.3.4"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(e("64:ff9b::1.2.3.4"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(e("2002:102:304:5::6"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(e("::"), None);
        assert_eq!(e("::1"), None);
        assert_eq!(e("2606:4700::1111"), None);
        assert_eq!(e("64:ff9b:1::1.2.3.4"), None);
    }

    #[test]
    fn display_names() {
        assert_eq!(AddrClass::Loopback.to_string(), "loopback");
        assert_eq!(AddrClass::Private.to_string(), "private");
        assert_eq!(
            AddrClass::LinkLocal.to_string(),
            "link-local (cloud metadata lives here)"
        );
        assert_eq!(AddrClass::Public.to_string(), "public");
        assert!(AddrClass::Public.is_public());
        assert!(AddrClass::Reserved.is_special());
        assert_eq!(AddrClass::Unspecified.phrase(), "an unspecified address");
    }
}
