use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::PolicyError;

/// An IPv4 or IPv6 CIDR block: `"127.0.0.1/32"`, `"10.0.0.0/8"`, `"::1/128"`,
/// `"fd00::/8"` (also `"[fd00::/8]"` and `"[fd00::]/8"`). A bare address is a `/32`
/// or `/128`.
///
/// [`Cidr::contains`] treats IPv4 addresses and their IPv4-mapped IPv6 forms
/// (`::ffff:a.b.c.d`) as the same address, whichever form the block is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parse a CIDR block. Host bits after the prefix must be zero (`"10.0.0.1/8"` is an
    /// error that suggests `"10.0.0.0/8"`).
    pub fn parse(s: &str) -> Result<Cidr, PolicyError> {
        parse_cidr(s).map_err(|m| PolicyError::cidr(s.trim(), m))
    }

    /// The block's network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length (0..=32 for IPv4, 0..=128 for IPv6).
    pub fn prefix_len(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is inside the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match self.addr {
            IpAddr::V4(net) => {
                let ip = match ip {
                    IpAddr::V4(a) => a,
                    IpAddr::V6(a) => match a.to_ipv4_mapped() {
                        Some(a) => a,
                        None => return false,
                    },
                };
                let mask = mask_v4(self.prefix);
                u32::from(ip) & mask == u32::from(net)
            }
            IpAddr::V6(net) => {
                let ip = match ip {
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                    IpAddr::V6(a) => a,
                };
                let mask = mask_v6(self.prefix);
                u128::from(ip) & mask == u128::from(net)
            }
        }
    }

    /// The `/32` or `/128` block of a single address (IPv4-mapped IPv6 addresses become
    /// their IPv4 `/32`).
    pub fn single(ip: IpAddr) -> Cidr {
        let addr = ip.to_canonical();
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Cidr { addr, prefix }
    }
}

fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// Parse a CIDR; the error is the reason only (the caller wraps it with the entry).
pub(crate) fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the entry is empty".into());
    }
    let (addr_part, prefix_part) = if let Some(inner) = s.strip_prefix('[') {
        if let Some(inner) = inner.strip_suffix(']') {
            // "[fd00::/8]" or "[::1]"
            match inner.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (inner, None),
            }
        } else if let Some((a, p)) = inner.split_once("]/") {
            // "[fd00::]/8"
            (a, Some(p))
        } else {
            return Err("unclosed \"[\"".into());
        }
    } else {
        match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        }
    };
    let addr: IpAddr = addr_part
        .parse()
        .map_err(|_| format!("{addr_part:?} is not an IP address"))?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_part {
        None => max,
        Some(p) => {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "the prefix length after \"/\" must be a number from 0 to {max}, not {p:?}"
                ));
            }
            let n: u16 = p.parse().map_err(|_| format!("bad prefix length {p:?}"))?;
            if n > u16::from(max) {
                return Err(format!(
                    "prefix length /{n} is too long for an {} address (at most /{max})",
                    if addr.is_ipv4() { "IPv4" } else { "IPv6" }
                ));
            }
            n as u8
        }
    };
    let network = match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask_v4(prefix))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask_v6(prefix))),
    };
    if network != addr {
        return Err(format!(
            "{addr} has bits set after the /{prefix} prefix; did you mean \"{network}/{prefix}\" (or \"{addr}/{max}\" for the single address)?"
        ));
    }
    Ok(Cidr { addr, prefix })
}

impl FromStr for Cidr {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_ipv4_blocks() {
        let c = cidr("10.0.0.0/8");
        assert_eq!(c.addr(), ip("10.0.0.0"));
        assert_eq!(c.prefix_len(), 8);
        assert_eq!(c.to_string(), "10.0.0.0/8");
        assert_eq!(cidr("127.0.0.1/32").to_string(), "127.0.0.1/32");
        assert_eq!(cidr("0.0.0.0/0").prefix_len(), 0);
    }

    #[test]
    fn bare_address_is_a_single_host_block() {
        assert_eq!(cidr("127.0.0.1"), cidr("127.0.0.1/32"));
        assert_eq!(cidr("::1"), cidr("::1/128"));
        assert_eq!(cidr("[::1]"), cidr("::1/128"));
    }

    #[test]
    fn parses_ipv6_in_all_bracket_forms() {
        let want = cidr("fd00::/8");
        assert_eq!(cidr("[fd00::/8]"), want);
        assert_eq!(cidr("[fd00::]/8"), want);
        assert_eq!(want.to_string(), "fd00::/8");
        assert_eq!(cidr(" fd00::/8 "), want);
    }

    #[test]
    fn from_str_works() {
        let c: Cidr = "192.168.0.0/16".parse().unwrap();
        assert!(c.contains(ip("192.168.1.1")));
    }

    #[test]
    fn contains_ipv4() {
        let c = cidr("10.0.0.0/8");
        assert!(c.contains(ip("10.0.0.0")));
        assert!(c.contains(ip("10.255.255.255")));
        assert!(!c.contains(ip("11.0.0.0")));
        assert!(!c.contains(ip("9.255.255.255")));
        assert!(!c.contains(ip("::1")));
        let one = cidr("127.0.0.1/32");
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
    }

    #[test]
    fn zero_prefix_contains_everything_of_its_family() {
        assert!(cidr("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(cidr("0.0.0.0/0").contains(ip("::ffff:8.8.8.8")));
        assert!(!cidr("0.0.0.0/0").contains(ip("2606:4700::1111")));
        assert!(cidr("::/0").contains(ip("2606:4700::1111")));
        assert!(cidr("::/0").contains(ip("8.8.8.8")));
    }

    #[test]
    fn contains_ipv6() {
        let c = cidr("fd00::/8");
        assert!(c.contains(ip("fd00::1")));
        assert!(c.contains(ip("fdff:ffff::1")));
        assert!(!c.contains(ip("fc00::1")));
        assert!(!c.contains(ip("10.0.0.1")));
        assert!(cidr("fe80::/10").contains(ip("febf::1")));
        assert!(!cidr("fe80::/10").contains(ip("fec0::1")));
    }

    #[test]
    fn ipv4_mapped_is_treated_as_ipv4() {
        assert!(cidr("127.0.0.1/32").contains(ip("::ffff:127.0.0.1")));
        assert!(cidr("169.254.0.0/16").contains(ip("::ffff:169.254.169.254")));
        assert!(!cidr("127.0.0.1/32").contains(ip("::ffff:127.0.0.2")));
        // And a mapped block contains the plain IPv4 address.
        assert!(cidr("::ffff:127.0.0.1/128").contains(ip("127.0.0.1")));
        assert!(cidr("::ffff:0:0/96").contains(ip("10.1.2.3")));
        // Other embeddings are not unwrapped by contains.
        assert!(!cidr("127.0.0.1/32").contains(ip("64:ff9b::7f00:1")));
        assert!(!cidr("127.0.0.1/32").contains(ip("::127.0.0.1")));
    }

    #[test]
    fn single_block() {
        assert_eq!(Cidr::single(ip("::ffff:1.2.3.4")).to_string(), "1.2.3.4/32");
        assert_eq!(Cidr::single(ip("::1")).to_string(), "::1/128");
    }

    fn err(s: &str) -> String {
        Cidr::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn rejects_prefix_too_long() {
        assert!(
            err("10.0.0.0/33").contains("at most /32"),
            "{}",
            err("10.0.0.0/33")
        );
        assert!(err("::/129").contains("at most /128"));
        assert!(err("10.0.0.0/99999").contains("must be a number"));
    }

    #[test]
    fn rejects_bad_prefix_text() {
        for s in [
            "10.0.0.0/",
            "10.0.0.0/x",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/8/8",
        ] {
            let e = err(s);
            assert!(e.contains("prefix length"), "{s}: {e}");
        }
    }

    #[test]
    fn rejects_host_bits_with_suggestion() {
        let e = err("10.0.0.1/8");
        assert!(e.contains(r#"did you mean "10.0.0.0/8""#), "{e}");
        assert!(e.contains(r#""10.0.0.1/32""#), "{e}");
        let e = err("fd00::1/8");
        assert!(e.contains(r#""fd00::/8""#), "{e}");
    }

    #[test]
    fn rejects_non_addresses() {
        for s in [
            "",
            "example.com",
            "example.com/8",
            "127.1/32",
            "0177.0.0.1",
            "[::1",
            "1.2.3.4.5",
        ] {
            let e = err(s);
            assert!(e.starts_with("invalid allowPrivate CIDR"), "{s}: {e}");
            assert!(e.contains("expected e.g."), "{s}: {e}");
        }
    }
}
