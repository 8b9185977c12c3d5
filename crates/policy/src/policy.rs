use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use crate::rule::{parse_host, HostName, Target};
use crate::{classify, embedded_ipv4, AddrClass, Cidr, HostRule, PolicyError};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyKind {
    /// The policy has no allow rules at all (`globalOutbound` is null).
    NoOutbound,
    /// No allow rule matches the request's scheme, host and port (or the target itself
    /// is unusable: unsupported scheme, invalid host, port 0).
    NotAllowed,
    /// The host is or resolved to a special-purpose address that no `allow_private`
    /// CIDR includes.
    SpecialAddress(AddrClass),
    /// The worker's policy allows it, but the daemon-wide ceiling does not.
    Ceiling,
}

/// A refused request. `Display` is a one-line message for the script's error that names
/// the host and says how to allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// Which kind of rule refused it.
    pub kind: DenyKind,
    /// The message for the script, naming the rule that would allow it.
    pub message: String,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denied {}

/// The outbound-HTTP policy of one worker: allow rules plus the special-purpose
/// address ranges it may reach, optionally narrowed by a ceiling (see
/// [`OutboundPolicy::within`]). `Default` denies everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    rules: Vec<HostRule>,
    allow_private: Vec<Cidr>,
    ceiling: Option<Box<OutboundPolicy>>,
}

impl OutboundPolicy {
    /// No outbound access at all.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Any public http(s) destination (`*://*:*`), no special-purpose addresses.
    pub fn allow_public() -> Self {
        Self::from_parts(
            vec![HostRule::parse("*://*:*").expect("valid rule")],
            Vec::new(),
        )
    }

    /// `allow`: [`HostRule`] entries; `allow_private`: [`Cidr`] entries of
    /// special-purpose addresses that may be reached. The first bad entry is the error.
    pub fn new<A: AsRef<str>, P: AsRef<str>>(
        allow: &[A],
        allow_private: &[P],
    ) -> Result<Self, PolicyError> {
        let rules = allow
            .iter()
            .map(|e| HostRule::parse(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let allow_private = allow_private
            .iter()
            .map(|e| Cidr::parse(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_parts(rules, allow_private))
    }

    /// From already parsed parts.
    pub fn from_parts(rules: Vec<HostRule>, allow_private: Vec<Cidr>) -> Self {
        OutboundPolicy {
            rules,
            allow_private,
            ceiling: None,
        }
    }

    /// `true` when nothing can be fetched: this policy has no allow rules, or a ceiling
    /// it is [`within`](Self::within) has none.
    pub fn is_deny_all(&self) -> bool {
        self.rules.is_empty() || self.ceiling.as_ref().is_some_and(|c| c.is_deny_all())
    }

    /// This policy's own allow rules (not the ceiling's).
    pub fn rules(&self) -> &[HostRule] {
        &self.rules
    }

    /// This policy's own special-purpose ranges (not the ceiling's).
    pub fn allow_private(&self) -> &[Cidr] {
        &self.allow_private
    }

    /// The ceiling this policy is restricted by, if any.
    pub fn ceiling(&self) -> Option<&OutboundPolicy> {
        self.ceiling.as_deref()
    }

    /// Step 1, before DNS: may a request go to `scheme://host:port`? `host` is the URL
    /// host (a domain, an IPv4 literal in any WHATWG form, or an IPv6 literal with or
    /// without brackets); `port` `None` is the scheme's default.
    pub fn check_target(&self, scheme: &str, host: &str, port: Option<u16>) -> Result<(), Denied> {
        let target = Target::parse(scheme, host, port);
        if self.rules.is_empty() {
            let what = match &target {
                Ok(t) => t.to_string(),
                Err(_) => raw_target(scheme, host, port),
            };
            let how = match &target {
                Ok(t) => format!(
                    "; to allow it, set globalOutbound to a list of rules such as [\"{}\"]",
                    t.suggested_rule()
                ),
                Err(_) => String::new(),
            };
            return Err(Denied {
                kind: DenyKind::NoOutbound,
                message: format!(
                    "outbound network access is not permitted for this worker (globalOutbound is null) — cannot fetch {what}{how}"
                ),
            });
        }
        let target = target.map_err(|why| Denied {
            kind: DenyKind::NotAllowed,
            message: format!(
                "outbound request to {} denied: {why}",
                raw_target(scheme, host, port)
            ),
        })?;
        if !self.rules.iter().any(|r| r.matches(&target)) {
            return Err(Denied {
                kind: DenyKind::NotAllowed,
                message: format!(
                    "outbound request to {target} denied: no rule of this worker's globalOutbound allows it (add \"{}\" to allow){}",
                    target.suggested_rule(),
                    written_as(host, &target.host),
                ),
            });
        }
        let mut ceiling = self.ceiling.as_deref();
        while let Some(c) = ceiling {
            if !c.rules.iter().any(|r| r.matches(&target)) {
                let message = if c.rules.is_empty() {
                    format!(
                        "outbound request to {target} denied: outbound network access is disabled daemon-wide (the daemon's outbound ceiling allows nothing; the daemon operator must allow \"{}\")",
                        target.suggested_rule()
                    )
                } else {
                    format!(
                        "outbound request to {target} denied by the daemon-wide outbound ceiling: no ceiling rule allows it (a worker's globalOutbound cannot widen the ceiling; the daemon operator must add \"{}\")",
                        target.suggested_rule()
                    )
                };
                return Err(Denied {
                    kind: DenyKind::Ceiling,
                    message,
                });
            }
            ceiling = c.ceiling.as_deref();
        }
        Ok(())
    }

    /// Step 2, at connect time, for every address the name resolved to (and for
    /// IP-literal hosts): refuse special-purpose addresses unless inside one of
    /// `allow_private` (of this policy and of every ceiling). `name` is the host the
    /// script asked for, used in the message.
    ///
    /// This checks addresses only; whether the name may be fetched at all is
    /// [`check_target`](Self::check_target)'s job.
    pub fn check_addr(&self, name: &str, ip: IpAddr) -> Result<(), Denied> {
        let class = classify(ip);
        if class.is_public() {
            return Ok(());
        }
        let suggest = Cidr::single(ip);
        if !self.allow_private.iter().any(|c| c.contains(ip)) {
            return Err(Denied {
                kind: DenyKind::SpecialAddress(class),
                message: format!(
                    "outbound request to {} refused: {}; private and special-purpose addresses are reachable only when allowed by CIDR in allowPrivate (e.g. \"{suggest}\")",
                    show(name),
                    resolves(name, ip, class),
                ),
            });
        }
        let mut ceiling = self.ceiling.as_deref();
        while let Some(c) = ceiling {
            if !c.allow_private.iter().any(|r| r.contains(ip)) {
                return Err(Denied {
                    kind: DenyKind::Ceiling,
                    message: format!(
                        "outbound request to {} refused by the daemon-wide outbound ceiling: {}, which the daemon's allowPrivate does not include (the daemon operator must add e.g. \"{suggest}\")",
                        show(name),
                        resolves(name, ip, class),
                    ),
                });
            }
            ceiling = c.ceiling.as_deref();
        }
        Ok(())
    }

    /// This policy restricted by `ceiling` (the daemon-wide setting): a request must
    /// pass both, in [`check_target`](Self::check_target) and in
    /// [`check_addr`](Self::check_addr). Ceilings stack: `p.within(a).within(b)` must
    /// pass `p`, `a` and `b`.
    pub fn within(mut self, ceiling: &OutboundPolicy) -> OutboundPolicy {
        let next = match self.ceiling.take() {
            Some(existing) => existing.within(ceiling),
            None => ceiling.clone(),
        };
        self.ceiling = Some(Box::new(next));
        self
    }
}

/// A name from the script, made safe for a one-line message.
fn show(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(format!("{s:?}"))
    } else {
        Cow::Borrowed(s)
    }
}

fn raw_target(scheme: &str, host: &str, port: Option<u16>) -> String {
    let scheme = scheme.strip_suffix(':').unwrap_or(scheme);
    match port {
        Some(p) => format!("{}://{}:{p}", show(scheme), show(host)),
        None => format!("{}://{}", show(scheme), show(host)),
    }
}

/// " (host written as "0x7f000001")" when the script's spelling differs from the
/// normalized host in the message.
fn written_as(host: &str, normalized: &HostName) -> String {
    let plain = host.trim_start_matches('[').trim_end_matches(']');
    let plain = plain.strip_suffix('.').unwrap_or(plain);
    let norm = normalized.to_string();
    let norm_plain = norm.trim_start_matches('[').trim_end_matches(']');
    if plain.eq_ignore_ascii_case(norm_plain) {
        String::new()
    } else {
        format!(" (host written as {host:?})")
    }
}

/// "it resolves to 127.0.0.1, a loopback address" or, for an IP-literal name,
/// "127.0.0.1 is a loopback address".
fn resolves(name: &str, ip: IpAddr, class: AddrClass) -> String {
    let embedded = match ip {
        IpAddr::V6(v6) => match (v6.to_ipv4_mapped(), embedded_ipv4(v6)) {
            (None, Some(v4)) => format!(" (embedding IPv4 {v4})"),
            _ => String::new(),
        },
        IpAddr::V4(_) => String::new(),
    };
    let literal = matches!(parse_host(name), Ok(HostName::Ip(h)) if h == ip.to_canonical());
    if literal {
        format!("{ip}{embedded} is {}", class.phrase())
    } else {
        format!("it resolves to {ip}{embedded}, {}", class.phrase())
    }
}
