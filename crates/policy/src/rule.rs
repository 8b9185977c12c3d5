use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::cidr::{parse_cidr, Cidr};
use crate::PolicyError;

/// A request scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn parse(s: &str) -> Option<Scheme> {
        if s.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else if s.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else {
            None
        }
    }

    pub(crate) fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A normalized request host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum HostName {
    /// Lowercase ASCII (IDNA-encoded), without a trailing dot.
    Domain(String),
    /// IPv4-mapped IPv6 addresses are stored as IPv4.
    Ip(IpAddr),
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostName::Domain(d) => f.write_str(d),
            HostName::Ip(IpAddr::V4(a)) => write!(f, "{a}"),
            HostName::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
        }
    }
}

/// Parse a host as the WHATWG URL host parser does (so every IPv4 notation such as
/// `127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1` becomes `127.0.0.1`, domains are
/// lowercased and IDNA-encoded); IPv6 literals may come with or without brackets.
/// One trailing dot of a domain is dropped.
pub(crate) fn parse_host(input: &str) -> Result<HostName, String> {
    if input.is_empty() {
        return Err("the host is empty".into());
    }
    let bracketed;
    let to_parse = if !input.starts_with('[') && input.contains(':') {
        bracketed = format!("[{input}]");
        &bracketed
    } else {
        input
    };
    match url::Host::parse(to_parse) {
        Ok(url::Host::Domain(d)) => {
            let d = d.strip_suffix('.').unwrap_or(&d);
            if d.is_empty() {
                return Err("the host is empty".into());
            }
            Ok(HostName::Domain(d.to_owned()))
        }
        Ok(url::Host::Ipv4(a)) => Ok(HostName::Ip(IpAddr::V4(a))),
        Ok(url::Host::Ipv6(a)) => Ok(HostName::Ip(IpAddr::V6(a).to_canonical())),
        Err(e) => Err(format!("{:?} is not a valid host: {e}", input)),
    }
}

/// A normalized request target: scheme, host and the effective port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) scheme: Scheme,
    pub(crate) host: HostName,
    pub(crate) port: u16,
}

impl Target {
    pub(crate) fn parse(scheme: &str, host: &str, port: Option<u16>) -> Result<Target, String> {
        let scheme_name = scheme.strip_suffix(':').unwrap_or(scheme);
        let scheme = Scheme::parse(scheme_name).ok_or_else(|| {
            format!("unsupported scheme {scheme_name:?}; only http and https requests can be made")
        })?;
        let host = parse_host(host)?;
        let port = port.unwrap_or(scheme.default_port());
        if port == 0 {
            return Err("port 0 is not a valid destination".into());
        }
        Ok(Target { scheme, host, port })
    }

    /// The rule that allows exactly this target.
    pub(crate) fn suggested_rule(&self) -> String {
        if self.port == self.scheme.default_port() {
            format!("{}://{}", self.scheme.as_str(), self.host)
        } else {
            format!("{}://{}:{}", self.scheme.as_str(), self.host, self.port)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SchemePattern {
    Any,
    One(Scheme),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HostPattern {
    /// `*`
    Any,
    /// `api.example.com` (normalized like a request host).
    Exact(String),
    /// `*.example.com`: the suffix `example.com`; matches subdomains at any depth, not the apex.
    Subdomains(String),
    /// An IP literal (IPv4-mapped IPv6 stored as IPv4).
    Ip(IpAddr),
    /// A CIDR block, matching IP-literal hosts inside it.
    Cidr(Cidr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PortPattern {
    /// Omitted: the request scheme's default port.
    Default,
    /// `*`
    Any,
    /// `8080` (as `8080..=8080`) or `8000-8999`.
    Range(u16, u16),
}

/// One allow-list entry in Spin's `allowed_outbound_hosts` syntax:
/// `scheme://host[:port]`.
///
/// * scheme: `http`, `https` or `*` (both);
/// * host: an exact domain (`api.example.com`), `*.example.com` (subdomains at any
///   depth, not `example.com` itself), `*` (any host), an IPv4 or IPv6 literal
///   (`127.0.0.1`, `[::1]`), or a CIDR (`10.0.0.0/8`, `[fd00::/8]`, `fd00::/8`) matching
///   IP-literal request hosts inside it;
/// * port: a number, a range `8000-8999`, or `*`; omitted means the request scheme's
///   default port (80 for http, 443 for https).
///
/// Scheme and domain comparisons are case-insensitive; one trailing dot of a domain is
/// ignored. Paths, queries, fragments and userinfo are rejected (a lone trailing `/` is
/// accepted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostRule {
    entry: String,
    scheme: SchemePattern,
    host: HostPattern,
    port: PortPattern,
}

impl HostRule {
    /// Parse one entry. Errors say what is wrong and how to write it instead.
    pub fn parse(entry: &str) -> Result<HostRule, PolicyError> {
        parse_rule(entry).map_err(|m| PolicyError::rule(entry.trim(), m))
    }

    /// The entry as written (surrounding whitespace removed).
    pub fn as_str(&self) -> &str {
        &self.entry
    }

    /// Whether this rule alone allows a request to `scheme://host:port` (`port` `None` =
    /// the scheme's default). Unparseable targets are not allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        Target::parse(scheme, host, port).is_ok_and(|t| self.matches(&t))
    }

    pub(crate) fn matches(&self, t: &Target) -> bool {
        let scheme_ok = match self.scheme {
            SchemePattern::Any => true,
            SchemePattern::One(s) => s == t.scheme,
        };
        let port_ok = match self.port {
            PortPattern::Default => t.port == t.scheme.default_port(),
            PortPattern::Any => true,
            PortPattern::Range(lo, hi) => (lo..=hi).contains(&t.port),
        };
        let host_ok = match (&self.host, &t.host) {
            (HostPattern::Any, _) => true,
            (HostPattern::Exact(d), HostName::Domain(h)) => d == h,
            (HostPattern::Subdomains(suffix), HostName::Domain(h)) => {
                h.len() > suffix.len() + 1
                    && h.ends_with(suffix.as_str())
                    && h.as_bytes()[h.len() - suffix.len() - 1] == b'.'
            }
            (HostPattern::Ip(ip), HostName::Ip(h)) => ip == h,
            (HostPattern::Cidr(c), HostName::Ip(h)) => c.contains(*h),
            _ => false,
        };
        scheme_ok && port_ok && host_ok
    }
}

impl FromStr for HostRule {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HostRule::parse(s)
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entry)
    }
}

const WILDCARD_HELP: &str =
    "\"*\" is allowed only as the whole host (\"*\") or as the whole leftmost label (\"*.example.com\")";

fn parse_rule(entry: &str) -> Result<HostRule, String> {
    let e = entry.trim();
    if e.is_empty() {
        return Err("the entry is empty".into());
    }
    let Some((scheme_str, rest)) = e.split_once("://") else {
        if let Some((s, r)) = e.split_once(':') {
            if Scheme::parse(s).is_some() || s == "*" {
                let r = r.trim_start_matches('/');
                return Err(format!(
                    "the scheme must be followed by \"://\"; write \"{s}://{r}\""
                ));
            }
        }
        return Err(format!(
            "missing scheme; add \"https://\" (or \"http://\", or \"*://\" for both) in front, as in \"https://{e}\""
        ));
    };
    let scheme = if scheme_str == "*" {
        SchemePattern::Any
    } else if let Some(s) = Scheme::parse(scheme_str) {
        SchemePattern::One(s)
    } else if scheme_str.is_empty() {
        return Err(
            "missing scheme before \"://\"; use \"https\", \"http\" or \"*\" (both)".into(),
        );
    } else {
        return Err(format!(
            "unsupported scheme {scheme_str:?}; only \"http\", \"https\" and \"*\" (both) are allowed"
        ));
    };
    if rest.contains('@') {
        return Err(
            "userinfo (\"user:password@\") is not allowed; remove everything up to and including the \"@\""
                .into(),
        );
    }
    if let Some(i) = rest.find('#') {
        return Err(format!(
            "a fragment is not allowed; remove {:?}",
            &rest[i..]
        ));
    }
    if let Some(i) = rest.find('?') {
        return Err(format!("a query is not allowed; remove {:?}", &rest[i..]));
    }
    // A lone trailing "/" is accepted.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host_str, after) = split_host(rest)?;
    let host = parse_host_pattern(host_str)?;
    let port = if after.is_empty() {
        PortPattern::Default
    } else if let Some(p) = after.strip_prefix(':') {
        parse_port_pattern(p)?
    } else if after.starts_with('/') {
        return Err(format!("a path is not allowed; remove {after:?}"));
    } else {
        return Err(format!("unexpected {after:?} after the host"));
    };
    Ok(HostRule {
        entry: e.to_owned(),
        scheme,
        host,
        port,
    })
}

/// Split the authority (plus anything after it) into the host (with a CIDR prefix, if
/// any) and the rest (`""`, `":port"`, or a path to complain about).
fn split_host(rest: &str) -> Result<(&str, &str), String> {
    if rest.starts_with('[') {
        let close = rest
            .find(']')
            .ok_or("unclosed \"[\" in the host; write IPv6 addresses as \"[::1]\"")?;
        let host = &rest[..=close];
        let after = &rest[close + 1..];
        // "[fd00::]/8" form: the prefix follows the bracket.
        if let Some(p) = after.strip_prefix('/') {
            let n = p.bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 && (p.len() == n || p.as_bytes()[n] == b':') {
                let end = close + 2 + n;
                return Ok((&rest[..end], &rest[end..]));
            }
        }
        return Ok((host, after));
    }
    if let Some(i) = rest.find('/') {
        let p = &rest[i + 1..];
        let n = p.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 && (p.len() == n || p.as_bytes()[n] == b':') {
            // A CIDR prefix; a port may follow it.
            let end = i + 1 + n;
            return Ok((&rest[..end], &rest[end..]));
        }
        return Err(format!(
            "a path is not allowed; remove {:?} (a rule names only scheme, host and port)",
            &rest[i..]
        ));
    }
    Ok(split_port(rest))
}

/// `host[:port]` without brackets or CIDR; an unbracketed IPv6 address (two or more
/// colons) takes no port.
fn split_port(s: &str) -> (&str, &str) {
    match s.matches(':').count() {
        0 => (s, ""),
        1 => {
            let i = s.find(':').unwrap_or(s.len());
            (&s[..i], &s[i..])
        }
        _ => (s, ""),
    }
}

fn parse_host_pattern(h: &str) -> Result<HostPattern, String> {
    if h.is_empty() {
        return Err("missing host".into());
    }
    if h == "*" {
        return Ok(HostPattern::Any);
    }
    if let Some(suffix) = h.strip_prefix("*.") {
        if suffix.contains('*') {
            return Err(WILDCARD_HELP.into());
        }
        if suffix.contains('/') || suffix.contains(':') || suffix.starts_with('[') {
            return Err(
                "a wildcard must be followed by a domain name; use a CIDR such as \"10.0.0.0/8\" for address ranges"
                    .into(),
            );
        }
        return match parse_host(suffix)? {
            HostName::Domain(d) => Ok(HostPattern::Subdomains(d)),
            HostName::Ip(_) => Err(
                "a wildcard must be followed by a domain name, not an IP address; use a CIDR such as \"10.0.0.0/8\" for address ranges"
                    .into(),
            ),
        };
    }
    if h.contains('*') {
        return Err(WILDCARD_HELP.into());
    }
    if h.contains('/') {
        return parse_cidr(h).map(HostPattern::Cidr).map_err(|m| {
            format!("{h:?} is neither a CIDR nor a host ({m}); a path is not allowed either")
        });
    }
    if !h.starts_with('[')
        && h.matches(':').count() >= 2
        && h.parse::<std::net::Ipv6Addr>().is_err()
    {
        return Err(format!(
            "{h:?} has more than one \":\" but is not an IPv6 address; a host takes one \":port\", and IPv6 addresses go in brackets: \"[::1]:8080\""
        ));
    }
    match parse_host(h)? {
        HostName::Domain(d) => Ok(HostPattern::Exact(d)),
        HostName::Ip(ip) => Ok(HostPattern::Ip(ip)),
    }
}

const PORT_HELP: &str = "a port is a number from 1 to 65535, a range such as 8000-8999, or *";

fn parse_port_pattern(p: &str) -> Result<PortPattern, String> {
    if p.is_empty() {
        return Err(format!(
            "missing port after \":\"; {PORT_HELP} (or drop the \":\" for the default port)"
        ));
    }
    if p == "*" {
        return Ok(PortPattern::Any);
    }
    if let Some((lo, hi)) = p.split_once('-') {
        let lo = parse_port(lo)?;
        let hi = parse_port(hi)?;
        if lo > hi {
            return Err(format!("port range {p:?} is reversed; write \"{hi}-{lo}\""));
        }
        return Ok(PortPattern::Range(lo, hi));
    }
    let n = parse_port(p)?;
    Ok(PortPattern::Range(n, n))
}

fn parse_port(p: &str) -> Result<u16, String> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid port {p:?}; {PORT_HELP}"));
    }
    match p.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(format!("port {p} is out of range; {PORT_HELP}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> HostRule {
        HostRule::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        match HostRule::parse(s) {
            Ok(r) => panic!("{s} parsed: {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_err(s: &str, needle: &str) {
        let e = err(s);
        assert!(e.contains(needle), "{s}: {e:?} does not contain {needle:?}");
        assert!(e.starts_with("invalid outbound rule "), "{e}");
        assert!(e.ends_with(crate::error::RULE_EXAMPLES), "{e}");
        assert!(!e.contains('\n'));
    }

    // ---- parse: accepted ----

    #[test]
    fn parse_exact_domain() {
        let r = rule("https://api.example.com");
        assert_eq!(r.scheme, SchemePattern::One(Scheme::Https));
        assert_eq!(r.host, HostPattern::Exact("api.example.com".into()));
        assert_eq!(r.port, PortPattern::Default);
    }

    #[test]
    fn parse_keeps_entry_as_written() {
        let r = rule("  HTTPS://API.Example.com:8443 ");
        assert_eq!(r.as_str(), "HTTPS://API.Example.com:8443");
        assert_eq!(r.to_string(), "HTTPS://API.Example.com:8443");
        assert_eq!(r.host, HostPattern::Exact("api.example.com".into()));
        assert_eq!(r.port, PortPattern::Range(8443, 8443));
    }

    #[test]
    fn parse_from_str() {
        let r: HostRule = "http://localhost:3000".parse().unwrap();
        assert_eq!(r.host, HostPattern::Exact("localhost".into()));
    }

    #[test]
    fn parse_scheme_any() {
        assert_eq!(rule("*://example.com").scheme, SchemePattern::Any);
        assert_eq!(
            rule("http://example.com").scheme,
            SchemePattern::One(Scheme::Http)
        );
    }

    #[test]
    fn parse_wildcards() {
        assert_eq!(rule("https://*").host, HostPattern::Any);
        assert_eq!(rule("*://*:*").port, PortPattern::Any);
        assert_eq!(
            rule("https://*.Example.com").host,
            HostPattern::Subdomains("example.com".into())
        );
        assert_eq!(
            rule("https://*.example.com.").host,
            HostPattern::Subdomains("example.com".into())
        );
    }

    #[test]
    fn parse_trailing_dot_domain() {
        assert_eq!(
            rule("https://example.com.").host,
            HostPattern::Exact("example.com".into())
        );
    }

    #[test]
    fn parse_ports() {
        assert_eq!(rule("http://a.test:1").port, PortPattern::Range(1, 1));
        assert_eq!(
            rule("http://a.test:65535").port,
            PortPattern::Range(65535, 65535)
        );
        assert_eq!(
            rule("http://a.test:8000-8999").port,
            PortPattern::Range(8000, 8999)
        );
        assert_eq!(rule("http://a.test:80-80").port, PortPattern::Range(80, 80));
        assert_eq!(rule("http://a.test:*").port, PortPattern::Any);
    }

    #[test]
    fn parse_trailing_slash_is_accepted() {
        assert_eq!(
            rule("https://example.com/").host,
            HostPattern::Exact("example.com".into())
        );
        assert_eq!(
            rule("https://example.com:8443/").port,
            PortPattern::Range(8443, 8443)
        );
        assert_eq!(
            rule("https://[::1]/").host,
            HostPattern::Ip("::1".parse().unwrap())
        );
    }

    #[test]
    fn parse_ip_literals() {
        assert_eq!(
            rule("http://127.0.0.1:*").host,
            HostPattern::Ip("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            rule("http://[::1]:8080").host,
            HostPattern::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            rule("http://[::1]:8080").port,
            PortPattern::Range(8080, 8080)
        );
        assert_eq!(
            rule("http://::1").host,
            HostPattern::Ip("::1".parse().unwrap())
        );
        // WHATWG IPv4 forms are normalized in rules too.
        assert_eq!(
            rule("http://127.1").host,
            HostPattern::Ip("127.0.0.1".parse().unwrap())
        );
        // IPv4-mapped is stored as IPv4.
        assert_eq!(
            rule("http://[::ffff:127.0.0.1]").host,
            HostPattern::Ip("127.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn parse_cidrs() {
        let c = |s: &str| HostPattern::Cidr(Cidr::parse(s).unwrap());
        assert_eq!(rule("*://10.0.0.0/8:*").host, c("10.0.0.0/8"));
        assert_eq!(rule("*://10.0.0.0/8:*").port, PortPattern::Any);
        assert_eq!(rule("http://10.0.0.0/8").host, c("10.0.0.0/8"));
        assert_eq!(rule("http://10.0.0.0/8").port, PortPattern::Default);
        assert_eq!(rule("http://10.0.0.0/8/").host, c("10.0.0.0/8"));
        assert_eq!(rule("http://[fd00::/8]:443").host, c("fd00::/8"));
        assert_eq!(
            rule("http://[fd00::/8]:443").port,
            PortPattern::Range(443, 443)
        );
        assert_eq!(rule("http://[fd00::]/8:443").host, c("fd00::/8"));
        assert_eq!(rule("http://fd00::/8").host, c("fd00::/8"));
        assert_eq!(
            rule("http://fd00::/8:8080").port,
            PortPattern::Range(8080, 8080)
        );
        assert_eq!(rule("http://[fd00::]/8").host, c("fd00::/8"));
    }

    #[test]
    fn parse_unicode_domain_is_idna_encoded() {
        assert_eq!(
            rule("https://bücher.example").host,
            HostPattern::Exact("xn--bcher-kva.example".into())
        );
    }

    // ---- parse: rejected ----

    #[test]
    fn missing_scheme_suggests_https() {
        assert_err("api.example.com", r#"add "https://""#);
        assert_err("api.example.com", r#""https://api.example.com""#);
        assert_err("localhost:3000", r#""https://localhost:3000""#);
        assert_err("*.example.com", r#""https://*.example.com""#);
    }

    #[test]
    fn scheme_without_slashes() {
        assert_err("https:example.com", r#"write "https://example.com""#);
        assert_err("http:/example.com", r#"write "http://example.com""#);
    }

    #[test]
    fn bad_schemes() {
        assert_err("ftp://example.com", r#"unsupported scheme "ftp""#);
        assert_err("ws://example.com", "unsupported scheme");
        assert_err("://example.com", "missing scheme");
        assert_err("http*://example.com", "unsupported scheme");
    }

    #[test]
    fn empty_entries() {
        assert_err("", "empty");
        assert_err("   ", "empty");
        assert_err("https://", "missing host");
        assert_err("https:///", "missing host");
        assert_err("https://:443", "missing host");
    }

    #[test]
    fn path_query_fragment_userinfo() {
        assert_err(
            "https://example.com/api",
            r#"a path is not allowed; remove "/api""#,
        );
        assert_err("https://example.com:8443/api/v1", r#"remove "/api/v1""#);
        assert_err("https://example.com//", "a path is not allowed");
        assert_err("https://[::1]/x", "a path is not allowed");
        assert_err(
            "https://example.com?x=1",
            r#"a query is not allowed; remove "?x=1""#,
        );
        assert_err("https://example.com/?x=1", "a query is not allowed");
        assert_err(
            "https://example.com#top",
            r##"a fragment is not allowed; remove "#top""##,
        );
        assert_err("https://user@example.com", "userinfo");
        assert_err(
            "https://user:pw@example.com",
            "remove everything up to and including the \"@\"",
        );
    }

    #[test]
    fn bad_wildcards() {
        for s in [
            "https://a*.example.com",
            "https://example.*",
            "https://*example.com",
            "https://api.*.example.com",
            "https://*.*.example.com",
            "https://**",
        ] {
            assert_err(s, "whole leftmost label");
        }
        assert_err("https://*.", "empty");
        assert_err("https://*.10.0.0.1", "not an IP address");
        assert_err("https://*.[::1]", "must be followed by a domain name");
        assert_err("https://*.10.0.0.0/8", "must be followed by a domain name");
    }

    #[test]
    fn bad_ports() {
        assert_err("https://example.com:0", "port 0 is out of range");
        assert_err("https://example.com:65536", "out of range");
        assert_err("https://example.com:99999999999", "out of range");
        assert_err("https://example.com:", "missing port");
        assert_err("https://example.com:http", "invalid port \"http\"");
        assert_err("https://example.com:+80", "invalid port");
        assert_err("https://example.com:-80", "invalid port \"\"");
        assert_err("https://example.com:80-", "invalid port \"\"");
        assert_err(
            "https://example.com:9000-8000",
            r#"reversed; write "8000-9000""#,
        );
        assert_err("https://example.com:0-80", "out of range");
        assert_err("https://example.com:80-70000", "out of range");
        assert_err("https://example.com:80:81", "more than one");
    }

    #[test]
    fn bad_hosts() {
        assert_err("https://exa mple.com", "not a valid host");
        assert_err("https://example.com:80x", "invalid port");
        assert_err("https://[::1", "unclosed");
        assert_err("https://[::1]x", r#"unexpected "x""#);
        assert_err("https://[not-ipv6]", "not a valid host");
        assert_err("https://1.2.3.4.5", "not a valid host");
        assert_err("https://example.123", "not a valid host");
        assert_err("https://fd00::1::2", "IPv6 addresses go in brackets");
    }

    #[test]
    fn bad_cidrs() {
        assert_err("*://10.0.0.0/33:*", "at most /32");
        assert_err("*://10.0.0.1/8", r#"did you mean "10.0.0.0/8""#);
        assert_err("*://example.com/8", "not an IP address");
        assert_err("*://[fd00::/200]", "at most /128");
    }

    // ---- matching ----

    fn allows(r: &str, scheme: &str, host: &str, port: Option<u16>) -> bool {
        rule(r).allows(scheme, host, port)
    }

    #[test]
    fn exact_match_is_case_insensitive_and_ignores_one_trailing_dot() {
        let r = "https://api.example.com";
        assert!(allows(r, "https", "api.example.com", None));
        assert!(allows(r, "HTTPS", "API.EXAMPLE.COM", None));
        assert!(allows(r, "https", "api.example.com.", None));
        assert!(!allows(r, "https", "api.example.com..", None));
        assert!(!allows(r, "https", "example.com", None));
        assert!(!allows(r, "https", "x.api.example.com", None));
        assert!(!allows(r, "https", "api.example.com.evil.test", None));
        assert!(!allows(r, "https", "apiXexample.com", None));
        assert!(allows(
            "https://API.example.COM.",
            "https",
            "api.example.com",
            None
        ));
    }

    #[test]
    fn scheme_must_match() {
        assert!(!allows("https://a.test", "http", "a.test", Some(443)));
        assert!(!allows("http://a.test", "https", "a.test", Some(80)));
        assert!(allows("http://a.test", "http:", "a.test", None));
        assert!(!allows("*://*:*", "ftp", "a.test", Some(21)));
    }

    #[test]
    fn subdomain_wildcard_any_depth_not_apex() {
        let r = "https://*.example.com";
        assert!(allows(r, "https", "api.example.com", None));
        assert!(allows(r, "https", "a.b.c.example.com", None));
        assert!(allows(r, "https", "A.Example.Com.", None));
        assert!(!allows(r, "https", "example.com", None));
        assert!(!allows(r, "https", "example.com.", None));
        assert!(!allows(r, "https", "badexample.com", None));
        assert!(!allows(r, "https", "example.com.evil.test", None));
        assert!(!allows(r, "https", "127.0.0.1", None));
    }

    #[test]
    fn any_host() {
        let r = "https://*";
        assert!(allows(r, "https", "anything.test", None));
        assert!(allows(r, "https", "127.0.0.1", None));
        assert!(allows(r, "https", "[::1]", None));
        assert!(!allows(r, "https", "anything.test", Some(8443)));
        assert!(!allows(r, "http", "anything.test", None));
    }

    #[test]
    fn default_ports() {
        assert!(allows("https://a.test", "https", "a.test", Some(443)));
        assert!(!allows("https://a.test", "https", "a.test", Some(80)));
        assert!(allows("http://a.test", "http", "a.test", Some(80)));
        assert!(!allows("http://a.test", "http", "a.test", Some(8080)));
        // Scheme "*" with an omitted port: each scheme's own default.
        assert!(allows("*://a.test", "http", "a.test", None));
        assert!(allows("*://a.test", "https", "a.test", None));
        assert!(allows("*://a.test", "http", "a.test", Some(80)));
        assert!(!allows("*://a.test", "http", "a.test", Some(443)));
        assert!(!allows("*://a.test", "https", "a.test", Some(80)));
    }

    #[test]
    fn explicit_ports_and_ranges() {
        assert!(allows("http://a.test:8080", "http", "a.test", Some(8080)));
        assert!(!allows("http://a.test:8080", "http", "a.test", None));
        assert!(!allows("http://a.test:8080", "http", "a.test", Some(8081)));
        let r = "https://a.test:8000-8999";
        assert!(allows(r, "https", "a.test", Some(8000)));
        assert!(allows(r, "https", "a.test", Some(8500)));
        assert!(allows(r, "https", "a.test", Some(8999)));
        assert!(!allows(r, "https", "a.test", Some(7999)));
        assert!(!allows(r, "https", "a.test", Some(9000)));
        assert!(!allows(r, "https", "a.test", None));
        assert!(allows("*://a.test:443", "http", "a.test", Some(443)));
        assert!(allows("*://a.test:443", "https", "a.test", None));
    }

    #[test]
    fn any_port() {
        let r = "http://a.test:*";
        assert!(allows(r, "http", "a.test", None));
        assert!(allows(r, "http", "a.test", Some(1)));
        assert!(allows(r, "http", "a.test", Some(65535)));
        assert!(
            !allows(r, "http", "a.test", Some(0)),
            "port 0 is never a destination"
        );
    }

    #[test]
    fn ipv4_literal_forms_are_normalized() {
        let r = "http://127.0.0.1";
        for h in [
            "127.0.0.1",
            "127.1",
            "0x7f000001",
            "2130706433",
            "0177.0.0.1",
            "0x7f.1",
            "127.0.0.1.",
            "[::ffff:127.0.0.1]",
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
        ] {
            assert!(allows(r, "http", h, None), "{h}");
        }
        for h in [
            "127.0.0.2",
            "localhost",
            "[::1]",
            "127.0.0.1.example",
            "::127.0.0.1",
        ] {
            assert!(!allows(r, "http", h, None), "{h}");
        }
    }

    #[test]
    fn ipv6_literals_with_and_without_brackets() {
        let r = "http://[::1]:8080";
        assert!(allows(r, "http", "[::1]", Some(8080)));
        assert!(allows(r, "http", "::1", Some(8080)));
        assert!(allows(r, "http", "0:0:0:0:0:0:0:1", Some(8080)));
        assert!(allows(r, "http", "[0::1]", Some(8080)));
        assert!(!allows(r, "http", "[::1]", None));
        assert!(!allows(r, "http", "127.0.0.1", Some(8080)));
        assert!(!allows(r, "http", "[::2]", Some(8080)));
        // Zone identifiers are not hosts.
        assert!(!allows("http://*:*", "http", "fe80::1%eth0", None));
    }

    #[test]
    fn mapped_rule_matches_ipv4_request() {
        assert!(allows("http://[::ffff:10.0.0.1]", "http", "10.0.0.1", None));
    }

    #[test]
    fn cidr_rules_match_ip_literals_only() {
        let r = "*://10.0.0.0/8:*";
        assert!(allows(r, "http", "10.1.2.3", Some(8080)));
        assert!(allows(r, "https", "10.255.255.255", None));
        assert!(allows(r, "http", "0xa000001", None));
        assert!(allows(r, "http", "::ffff:10.0.0.1", None));
        assert!(!allows(r, "http", "11.0.0.1", None));
        assert!(!allows(r, "http", "ten.example", None));
        let r6 = "http://[fd00::/8]:*";
        assert!(allows(r6, "http", "[fd00::1]", None));
        assert!(allows(r6, "http", "fdab::1", Some(1234)));
        assert!(!allows(r6, "http", "[fc00::1]", None));
        assert!(allows("http://fd00::/8", "http", "fd12::1", None));
        assert!(!allows("http://fd00::/8", "http", "fd12::1", Some(81)));
    }

    #[test]
    fn domain_rule_does_not_match_ip_and_vice_versa() {
        assert!(!allows("http://localhost", "http", "127.0.0.1", None));
        assert!(!allows("http://127.0.0.1", "http", "localhost", None));
    }

    #[test]
    fn idna_hosts_match() {
        assert!(allows(
            "https://bücher.example",
            "https",
            "BÜCHER.example",
            None
        ));
        assert!(allows(
            "https://bücher.example",
            "https",
            "xn--bcher-kva.example",
            None
        ));
        assert!(allows(
            "https://*.bücher.example",
            "https",
            "a.xn--bcher-kva.example",
            None
        ));
    }

    #[test]
    fn percent_encoded_hosts_are_decoded() {
        assert!(allows("http://127.0.0.1", "http", "%31%32%37.0.0.1", None));
    }

    #[test]
    fn invalid_request_hosts_never_match() {
        for h in ["", ".", "exa mple.com", "[::1", "1.2.3.4.5", "a:b"] {
            assert!(!allows("*://*:*", "http", h, None), "{h:?}");
        }
    }

    // ---- targets ----

    #[test]
    fn target_display_and_suggestion() {
        let t = Target::parse("HTTP", "Evil.Test", Some(8080)).unwrap();
        assert_eq!(t.to_string(), "http://evil.test:8080");
        assert_eq!(t.suggested_rule(), "http://evil.test:8080");
        let t = Target::parse("https", "x.test", None).unwrap();
        assert_eq!(t.to_string(), "https://x.test:443");
        assert_eq!(t.suggested_rule(), "https://x.test");
        let t = Target::parse("http", "::1", Some(80)).unwrap();
        assert_eq!(t.to_string(), "http://[::1]:80");
        assert_eq!(t.suggested_rule(), "http://[::1]");
    }

    #[test]
    fn suggested_rule_parses_and_allows_the_target() {
        for (s, h, p) in [
            ("http", "evil.test", Some(8080)),
            ("https", "x.test", None),
            ("http", "[::1]", Some(3000)),
            ("https", "0x7f000001", None),
            ("https", "bücher.example", Some(8443)),
        ] {
            let t = Target::parse(s, h, p).unwrap();
            let r = rule(&t.suggested_rule());
            assert!(r.matches(&t), "{} vs {t}", r.as_str());
        }
    }
}
