//! npm-flavoured semantic versioning: versions, ranges and range matching.
//!
//! This follows node-semver in its default mode (not `loose`, `includePrerelease`
//! off), with two leniencies: a version may carry any mix of leading `v`, `=` and
//! whitespace, and ranges accept the same prefixes on every version they contain.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// JavaScript's `Number.MAX_SAFE_INTEGER` (2^53 - 1); npm rejects larger numbers.
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;
/// node-semver's `MAX_LENGTH`: longer version or range strings are rejected.
const MAX_LENGTH: usize = 256;

/// A version: `major.minor.patch[-prerelease][+build]`. Parses loosely like npm: a
/// leading `v` or `=` and surrounding whitespace are accepted.
///
/// Ordering is semver precedence; build metadata does not affect precedence but is
/// compared (as plain strings) last, so that `Ord` agrees with `Eq`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major version number.
    pub major: u64,
    /// Minor version number.
    pub minor: u64,
    /// Patch version number.
    pub patch: u64,
    /// Dot-separated prerelease identifiers (`beta.2` is `[Alpha("beta"), Numeric(2)]`).
    pub pre: Vec<Prerelease>,
    /// Dot-separated build metadata identifiers (the part after `+`).
    pub build: Vec<String>,
}

/// One dot-separated prerelease identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Prerelease {
    /// An all-digit identifier; it sorts numerically and before any alphanumeric one.
    Numeric(u64),
    /// An identifier containing a letter or hyphen; it sorts by ASCII order.
    Alpha(String),
}

impl Version {
    /// Parses a version such as `1.2.3`, `v1.2.3-beta.1+build.7` or ` =1.0.0 `.
    /// Partial versions (`1.2`), X-ranges and numbers above 2^53-1 are errors.
    pub fn parse(s: &str) -> Result<Version, String> {
        let err = |why: &str| format!("invalid version \"{s}\": {why}");
        if s.len() > MAX_LENGTH {
            return Err(err("longer than 256 characters"));
        }
        let p = parse_partial(s.trim()).map_err(|e| err(&e))?;
        let mut v = p.full().ok_or_else(|| err("expected major.minor.patch"))?;
        v.build = p.build;
        Ok(v)
    }

    /// True if the version has a prerelease tag (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Semver precedence: build metadata ignored, a prerelease sorts before its release.
    fn cmp_precedence(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Identifier by identifier; if all shared ones are equal, longer is higher.
                (false, false) => (self.pre.iter().zip(&other.pre))
                    .map(|(a, b)| cmp_pre_id(a, b))
                    .find(|o| o.is_ne())
                    .unwrap_or_else(|| self.pre.len().cmp(&other.pre.len())),
            })
    }

    fn same_triple(&self, other: &Version) -> bool {
        (self.major, self.minor, self.patch) == (other.major, other.minor, other.patch)
    }
}

fn cmp_pre_id(a: &Prerelease, b: &Prerelease) -> Ordering {
    match (a, b) {
        (Prerelease::Numeric(x), Prerelease::Numeric(y)) => x.cmp(y),
        (Prerelease::Numeric(_), Prerelease::Alpha(_)) => Ordering::Less,
        (Prerelease::Alpha(_), Prerelease::Numeric(_)) => Ordering::Greater,
        (Prerelease::Alpha(x), Prerelease::Alpha(y)) => x.cmp(y),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_precedence(other)
            .then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            match id {
                Prerelease::Numeric(n) => write!(f, "{n}")?,
                Prerelease::Alpha(s) => f.write_str(s)?,
            }
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build.join("."))?;
        }
        Ok(())
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Version, String> {
        Version::parse(s)
    }
}

/// A possibly partial version as written inside a range: `None` means the part is
/// missing or a wildcard (`x`, `X`, `*`). Once a part is `None`, all later parts are.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Vec<Prerelease>,
    build: Vec<String>,
    /// A number follows a wildcard, as in `1.x.3` (only plain comparators reject it).
    wild_then_number: bool,
}

impl Partial {
    /// The complete version, without build metadata (ranges never compare it).
    fn full(&self) -> Option<Version> {
        Some(Version {
            major: self.major?,
            minor: self.minor?,
            patch: self.patch?,
            pre: self.pre.clone(),
            build: Vec::new(),
        })
    }
}

/// Parses `[v=]*X[.Y[.Z[-pre][+build]]]` where X/Y/Z are numbers or wildcards.
fn parse_partial(s: &str) -> Result<Partial, String> {
    let s = s.trim_start_matches(|c: char| c == 'v' || c == '=' || c.is_whitespace());
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let mut build_ids = Vec::new();
    for id in build.into_iter().flat_map(|b| b.split('.')) {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad build identifier \"{id}\""));
        }
        build_ids.push(id.to_string());
    }
    // The first `-` starts the prerelease; later ones belong to its identifiers.
    let (main, pre) = match rest.split_once('-') {
        Some((main, pre)) => (
            main,
            pre.split('.').map(parse_pre_id).collect::<Result<_, _>>()?,
        ),
        None => (rest, Vec::new()),
    };
    let parts: Vec<&str> = main.split('.').collect();
    if parts.len() > 3 {
        return Err("more than three dot-separated numbers".into());
    }
    // (A build on a partial version is allowed: node-semver strips builds from ranges.)
    if parts.len() < 3 && !pre.is_empty() {
        return Err("a prerelease needs major.minor.patch".into());
    }
    let mut nums = [None; 3];
    for (slot, part) in nums.iter_mut().zip(&parts) {
        *slot = match *part {
            "x" | "X" | "*" => None,
            _ => Some(parse_number(part)?),
        };
    }
    let wild_then_number = nums.windows(2).any(|w| w[0].is_none() && w[1].is_some());
    let [major, mut minor, mut patch] = nums;
    // `1.x.3` means `1.x.x`, and `*.1.2` means `*`.
    if major.is_none() {
        minor = None;
    }
    if minor.is_none() {
        patch = None;
    }
    Ok(Partial {
        major,
        minor,
        patch,
        pre,
        build: build_ids,
        wild_then_number,
    })
}

/// A decimal number without leading zeros, at most 2^53-1.
fn parse_number(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{s}\" is not a number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!("\"{s}\" has a leading zero"));
    }
    match s.parse::<u64>() {
        Ok(n) if n <= MAX_SAFE_INTEGER => Ok(n),
        _ => Err(format!("{s} is larger than 2^53-1")),
    }
}

fn parse_pre_id(id: &str) -> Result<Prerelease, String> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        return parse_number(id).map(Prerelease::Numeric);
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("bad prerelease identifier \"{id}\""));
    }
    Ok(Prerelease::Alpha(id.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A primitive comparison such as `>=1.2.3`; a range is built only from these.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparator {
    op: Op,
    version: Version,
}

impl Comparator {
    fn test(&self, v: &Version) -> bool {
        let ord = v.cmp_precedence(&self.version);
        match self.op {
            Op::Eq => ord == Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }

    /// `<0.0.0-0`, which nothing satisfies (node-semver's "null set").
    fn nothing() -> Comparator {
        cmp(Op::Lt, with_pre0(ver(0, 0, 0)))
    }
}

/// Operator spellings, longest first so that `>=` is not read as `>`.
const OPS: [(&str, Op); 5] = [
    (">=", Op::Ge),
    ("<=", Op::Le),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("=", Op::Eq),
];

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Like node-semver, `=1.2.3` is shown as plain `1.2.3`.
        let op = OPS.iter().find(|(_, op)| *op == self.op && *op != Op::Eq);
        write!(f, "{}{}", op.map_or("", |(s, _)| s), self.version)
    }
}

fn cmp(op: Op, version: Version) -> Comparator {
    Comparator { op, version }
}

fn ver(major: u64, minor: u64, patch: u64) -> Version {
    Version {
        major,
        minor,
        patch,
        pre: Vec::new(),
        build: Vec::new(),
    }
}

/// Adds the `-0` prerelease, the lowest version with that triple: `<2.0.0-0` excludes
/// every 2.0.0 prerelease, which a plain `<2.0.0` would let through.
fn with_pre0(mut v: Version) -> Version {
    v.pre = vec![Prerelease::Numeric(0)];
    v
}

/// The first version past a wildcard: `1.x` -> 2.0.0, `1.2.x` -> 1.3.0.
/// (Numbers are at most 2^53-1, so `+ 1` cannot overflow.)
fn next_after(major: u64, minor: Option<u64>) -> Version {
    match minor {
        None => ver(major + 1, 0, 0),
        Some(m) => ver(major, m + 1, 0),
    }
}

/// X-ranges and plain comparators: `1.2.3`, `>=1.2.3`, `1.x`, `<=1.2`, `*`, ...
fn xrange(op: Option<Op>, p: Partial) -> Vec<Comparator> {
    let Some(major) = p.major else {
        // `>*` and `<*` match nothing; every other operator with `*` matches anything.
        return match op {
            Some(Op::Gt | Op::Lt) => vec![Comparator::nothing()],
            _ => Vec::new(),
        };
    };
    if let Some(v) = p.full() {
        return vec![cmp(op.unwrap_or(Op::Eq), v)];
    }
    let low = ver(major, p.minor.unwrap_or(0), 0);
    let next = next_after(major, p.minor);
    match op {
        None | Some(Op::Eq) => vec![cmp(Op::Ge, low), cmp(Op::Lt, with_pre0(next))],
        Some(Op::Ge) => vec![cmp(Op::Ge, low)],
        // `>1.2` means "above every 1.2.x": >=1.3.0.
        Some(Op::Gt) => vec![cmp(Op::Ge, next)],
        // `<=1.2` includes every 1.2.x: <1.3.0-0.
        Some(Op::Le) => vec![cmp(Op::Lt, with_pre0(next))],
        Some(Op::Lt) => vec![cmp(Op::Lt, with_pre0(low))],
    }
}

/// `~1.2.3` := >=1.2.3 <1.3.0-0; `~1.2` := >=1.2.0 <1.3.0-0; `~1` := >=1.0.0 <2.0.0-0.
fn tilde(p: Partial) -> Vec<Comparator> {
    match p.full() {
        Some(v) => {
            let upper = with_pre0(ver(v.major, v.minor + 1, 0));
            vec![cmp(Op::Ge, v), cmp(Op::Lt, upper)]
        }
        None => xrange(None, p),
    }
}

/// Caret: allow changes that do not modify the left-most non-zero part.
/// `^1.2.3` := <2.0.0-0, `^0.2.3` := <0.3.0-0, `^0.0.3` := <0.0.4-0, `^1.2.x` := <2.0.0-0.
fn caret(p: Partial) -> Vec<Comparator> {
    let (Some(major), Some(minor)) = (p.major, p.minor) else {
        return xrange(None, p);
    };
    let Some(v) = p.full() else {
        // `^0.2.x` is `0.2.x`, but `^1.2.x` is >=1.2.0 <2.0.0-0.
        if major == 0 {
            return xrange(None, p);
        }
        return vec![
            cmp(Op::Ge, ver(major, minor, 0)),
            cmp(Op::Lt, with_pre0(ver(major + 1, 0, 0))),
        ];
    };
    let upper = match (v.major, v.minor) {
        (0, 0) => ver(0, 0, v.patch + 1),
        (0, m) => ver(0, m + 1, 0),
        (m, _) => ver(m + 1, 0, 0),
    };
    vec![cmp(Op::Ge, v), cmp(Op::Lt, with_pre0(upper))]
}

/// `A - B`: inclusive bounds; a partial upper bound includes all it covers
/// (`1.2 - 2` := >=1.2.0 <3.0.0-0).
fn hyphen(from: Partial, to: Partial) -> Vec<Comparator> {
    let mut out = Vec::new();
    if let Some(major) = from.major {
        let low = from
            .full()
            .unwrap_or_else(|| ver(major, from.minor.unwrap_or(0), 0));
        out.push(cmp(Op::Ge, low));
    }
    if let Some(major) = to.major {
        out.push(match to.full() {
            Some(v) => cmp(Op::Le, v),
            None => cmp(Op::Lt, with_pre0(next_after(major, to.minor))),
        });
    }
    out
}

/// One comparator token, with any space after its operator already removed.
fn parse_comparator(tok: &str) -> Result<Vec<Comparator>, String> {
    let bad = |e: String| format!("bad comparator \"{tok}\" ({e})");
    if let Some(rest) = tok.strip_prefix('^') {
        return parse_partial(rest).map(caret).map_err(bad);
    }
    if let Some(rest) = tok.strip_prefix('~') {
        let rest = rest.strip_prefix('>').unwrap_or(rest); // `~>` is an alias of `~`
        return parse_partial(rest).map(tilde).map_err(bad);
    }
    let (op, rest) = OPS
        .iter()
        .find_map(|(s, op)| tok.strip_prefix(s).map(|rest| (Some(*op), rest)))
        .unwrap_or((None, tok));
    let p = parse_partial(rest).map_err(bad)?;
    // node-semver >= 7.7 rejects `1.x.3` and `x.1` here, yet accepts `^1.x.3` and `~x.1`.
    if p.wild_then_number {
        return Err(bad("a number after a wildcard".into()));
    }
    Ok(xrange(op, p))
}

/// One `||`-separated part: a hyphen range or whitespace-separated comparators.
fn parse_set(part: &str) -> Result<Vec<Comparator>, String> {
    let toks: Vec<&str> = part.split_whitespace().collect();
    let comps = if toks.len() == 3 && toks[1] == "-" {
        let bad = |e: String| format!("bad hyphen range \"{part}\" ({e})");
        hyphen(
            parse_partial(toks[0]).map_err(bad)?,
            parse_partial(toks[2]).map_err(bad)?,
        )
    } else {
        let mut comps = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let mut tok = toks[i].to_string();
            // `>= 1.2.3` and `~ 1.2` are written with a space after the operator.
            let lone_op = ["<", "<=", ">", ">=", "=", "~", "~>", "^"].contains(&toks[i]);
            if lone_op && i + 1 < toks.len() {
                tok.push_str(toks[i + 1]);
                i += 1;
            }
            comps.extend(parse_comparator(&tok)?);
            i += 1;
        }
        comps
    };
    // Simplify like node-semver: an unsatisfiable comparator makes the whole set
    // unsatisfiable, `>=0.0.0` is the same as `*` (an empty set), drop duplicates.
    let mut out: Vec<Comparator> = Vec::new();
    for c in comps {
        if c == Comparator::nothing() {
            return Ok(vec![c]);
        }
        if !(out.contains(&c) || c.op == Op::Ge && c.version == ver(0, 0, 0)) {
            out.push(c);
        }
    }
    Ok(out)
}

/// A range as npm writes them: `^1.2.3`, `~1.2 || >=2.0.0 <3`, `1.x`, `1.0.0 - 2.0.0`.
///
/// Parsed into `||`-separated sets of comparators that must all hold. Display shows
/// the normalized sets joined by ` || ` (an unrestricted set is `*`).
#[derive(Debug, Clone)]
pub struct Range {
    /// Empty inner list means "any version".
    sets: Vec<Vec<Comparator>>,
}

impl Range {
    /// Parses an npm range. The empty string means `*`. Dist-tags (`latest`), aliases
    /// (`npm:x@1`), URLs, paths, over-long input and huge numbers are errors.
    pub fn parse(s: &str) -> Result<Range, String> {
        let err = |why: String| format!("invalid version range \"{s}\": {why}");
        if s.len() > MAX_LENGTH {
            return Err(err("longer than 256 characters".into()));
        }
        let mut sets = s
            .split("||")
            .map(|part| parse_set(part.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        // Like node-semver: drop unsatisfiable sets unless all are, and if any set
        // is unrestricted the whole range is `*`.
        if sets.len() > 1 {
            let first = sets[0].clone();
            sets.retain(|set| set.as_slice() != [Comparator::nothing()]);
            if sets.is_empty() {
                sets.push(first);
            } else if sets.iter().any(Vec::is_empty) {
                sets = vec![Vec::new()];
            }
        }
        Ok(Range { sets })
    }

    /// True if `v` satisfies every comparator of at least one set.
    ///
    /// A prerelease version only matches a set that has a comparator with a
    /// prerelease on the same major.minor.patch, so `^1.2.3-beta.2` accepts
    /// `1.2.3-beta.4` but not `1.2.4-beta.1`, and `*` accepts no prerelease.
    pub fn satisfies(&self, v: &Version) -> bool {
        self.sets.iter().any(|set| {
            set.iter().all(|c| c.test(v))
                && (!v.is_prerelease()
                    || set
                        .iter()
                        .any(|c| c.version.is_prerelease() && c.version.same_triple(v)))
        })
    }

    /// The highest of `versions` (unparseable ones skipped) that satisfies the range.
    pub fn max_satisfying<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a str>,
    ) -> Option<Version> {
        versions
            .into_iter()
            .filter_map(|s| Version::parse(s).ok())
            .filter(|v| self.satisfies(v))
            .max()
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show_set = |set: &Vec<Comparator>| match set.is_empty() {
            true => "*".to_string(),
            false => set
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        };
        let sets: Vec<String> = self.sets.iter().map(show_set).collect();
        f.write_str(&sets.join(" || "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases are `range => version`, separated by `;` or newlines.
    fn cases(table: &str) -> Vec<(&str, &str)> {
        table
            .split([';', '\n'])
            .filter(|c| !c.trim().is_empty())
            .map(|c| {
                c.split_once("=>")
                    .map(|(r, v)| (r.trim(), v.trim()))
                    .expect(c)
            })
            .collect()
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn r(s: &str) -> Range {
        Range::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    // From node-semver test/fixtures/range-include.js (default options), plus extras.
    const INCLUDE: &str = "
        1.0.0 - 2.0.0 => 1.2.3; ^1.2.3+build => 1.2.3; ^1.2.3+build => 1.3.0
        1.2.3-pre+asdf - 2.4.3-pre+asdf => 1.2.3; 1.2.3+asdf - 2.4.3+asdf => 1.2.3
        1.2.3-pre+asdf - 2.4.3-pre+asdf => 1.2.3-pre.2
        1.2.3-pre+asdf - 2.4.3-pre+asdf => 2.4.3-alpha
        1.0.0 => 1.0.0; >=* => 0.2.4;  => 1.0.0; * => 1.2.3; * => v1.2.3
        >=1.0.0 => 1.0.0; >=1.0.0 => 1.0.1; >=1.0.0 => 1.1.0; >1.0.0 => 1.0.1; >1.0.0 => 1.1.0
        <=2.0.0 => 2.0.0; <=2.0.0 => 1.9999.9999; <=2.0.0 => 0.2.9
        <2.0.0 => 1.9999.9999; <2.0.0 => 0.2.9
        >= 1.0.0 => 1.0.0; >=  1.0.0 => 1.0.1; >=   1.0.0 => 1.1.0; > 1.0.0 => 1.0.1
        >  1.0.0 => 1.1.0; <=   2.0.0 => 2.0.0; <= 2.0.0 => 1.9999.9999; <=  2.0.0 => 0.2.9
        <    2.0.0 => 1.9999.9999; <\t2.0.0 => 0.2.9; >=0.1.97 => v0.1.97; >=0.1.97 => 0.1.97
        0.1.20 || 1.2.4 => 1.2.4; >=0.2.3 || <0.0.1 => 0.0.0; >=0.2.3 || <0.0.1 => 0.2.3
        >=0.2.3 || <0.0.1 => 0.2.4; || => 1.3.4; 2.x.x => 2.1.3; 1.2.x => 1.2.3
        1.2.x || 2.x => 2.1.3; 1.2.x || 2.x => 1.2.3; x => 1.2.3; 2.*.* => 2.1.3
        1.2.* => 1.2.3; 1.2.* || 2.* => 2.1.3; 1.2.* || 2.* => 1.2.3; 2 => 2.1.2; 2.3 => 2.3.1
        ~0.0.1 => 0.0.1; ~0.0.1 => 0.0.2; ~x => 0.0.9; ~2 => 2.0.9; ~2.4 => 2.4.0; ~2.4 => 2.4.5
        ~>3.2.1 => 3.2.2; ~1 => 1.2.3; ~>1 => 1.2.3; ~> 1 => 1.2.3; ~1.0 => 1.0.2
        ~ 1.0 => 1.0.2; ~ 1.0.3 => 1.0.12; >=1 => 1.0.0; >= 1 => 1.0.0; <1.2 => 1.1.1
        < 1.2 => 1.1.1; ~v0.5.4-pre => 0.5.5; ~v0.5.4-pre => 0.5.4; =0.7.x => 0.7.2
        <=0.7.x => 0.7.2; >=0.7.x => 0.7.2; <=0.7.x => 0.6.2; ~1.2.1 >=1.2.3 => 1.2.3
        ~1.2.1 =1.2.3 => 1.2.3; ~1.2.1 1.2.3 => 1.2.3; ~1.2.1 >=1.2.3 1.2.3 => 1.2.3
        ~1.2.1 1.2.3 >=1.2.3 => 1.2.3; >=1.2.1 1.2.3 => 1.2.3; 1.2.3 >=1.2.1 => 1.2.3
        >=1.2.3 >=1.2.1 => 1.2.3; >=1.2.1 >=1.2.3 => 1.2.3; >=1.2 => 1.2.8; ^1.2.3 => 1.8.1
        ^0.1.2 => 0.1.2; ^0.1 => 0.1.2; ^0.0.1 => 0.0.1; ^1.2 => 1.4.2; ^1.2 ^1 => 1.4.2
        ^1.2.3-alpha => 1.2.3-pre; ^1.2.0-alpha => 1.2.0-pre; ^0.0.1-alpha => 0.0.1-beta
        ^0.0.1-alpha => 0.0.1; ^0.1.1-alpha => 0.1.1-beta; ^x => 1.2.3; x - 1.0.0 => 0.9.7
        x - 1.x => 0.9.7; 1.0.0 - x => 1.9.7; 1.x - x => 1.9.7; <=7.x => 7.9.9
        ^1.2.3-beta.2 => 1.2.3-beta.4; ^1.2.3-beta.2 => 1.5.0; 1.2 - 2 => 2.9.9
        1.2 - 2 => 1.2.0; ~1.2.3 => 1.2.9; ~0.2.3 => 0.2.9; ^0.2.3 => 0.2.9; ^0.0.3 => 0.0.3
        ^1.2.x => 1.9.0; ^0.x => 0.9.0; ^0.0.x => 0.0.5; ^0.0 => 0.0.9; =1.2.3 => 1.2.3+b.1
        v1.2.3 => 1.2.3; >=v1.2.3 => 2.0.0; * || 1.0.0-rc.1 => 1.0.0; <=1.0.0-rc.2 => 0.9.0
        >=1.0.0-alpha <1.0.1 || >=2.0.0 <3.0.0 => 1.0.0-beta; <=1.0.0-rc.2 => 1.0.0-rc.1
        >=1.0.0-alpha <1.0.1 || >=2.0.0 <3.0.0 => 2.5.0
    ";

    // From node-semver test/fixtures/range-exclude.js (default options), plus extras.
    const EXCLUDE: &str = "
        1.0.0 - 2.0.0 => 2.2.3; 1.2.3+asdf - 2.4.3+asdf => 1.2.3-pre.2
        1.2.3+asdf - 2.4.3+asdf => 2.4.3-alpha; ^1.2.3+build => 2.0.0; ^1.2.3+build => 1.2.0
        ^1.2.3 => 1.2.3-pre; ^1.2 => 1.2.0-pre; >1.2 => 1.3.0-beta; <=1.2.3 => 1.2.3-beta
        ^1.2.3 => 1.2.3-beta; =0.7.x => 0.7.0-asdf; >=0.7.x => 0.7.0-asdf; 1.0.0 => 1.0.1
        >=1.0.0 => 0.0.0; >=1.0.0 => 0.0.1; >=1.0.0 => 0.1.0; >1.0.0 => 0.0.1; >1.0.0 => 0.1.0
        <=2.0.0 => 3.0.0; <=2.0.0 => 2.9999.9999; <=2.0.0 => 2.2.9; <2.0.0 => 2.9999.9999
        <2.0.0 => 2.2.9; >=0.1.97 => v0.1.93; >=0.1.97 => 0.1.93; 0.1.20 || 1.2.4 => 1.2.3
        >=0.2.3 || <0.0.1 => 0.0.3; >=0.2.3 || <0.0.1 => 0.2.2; 2.x.x => 1.1.3; 2.x.x => 3.1.3
        1.2.x => 1.3.3; 1.2.x || 2.x => 3.1.3; 1.2.x || 2.x => 1.1.3; 2.*.* => 1.1.3
        2.*.* => 3.1.3; 1.2.* => 1.3.3; 1.2.* || 2.* => 3.1.3; 1.2.* || 2.* => 1.1.3
        2 => 1.1.2; 2.3 => 2.4.1; ~0.0.1 => 0.1.0-alpha; ~0.0.1 => 0.1.0; ~2.4 => 2.5.0
        ~2.4 => 2.3.9; ~>3.2.1 => 3.3.2; ~>3.2.1 => 3.2.0; ~1 => 0.2.3; ~>1 => 2.2.3
        ~1.0 => 1.1.0; <1 => 1.0.0; >=1.2 => 1.1.1; ~v0.5.4-beta => 0.5.4-alpha
        =0.7.x => 0.8.2; >=0.7.x => 0.6.2; <0.7.x => 0.7.2; <1.2.3 => 1.2.3-beta
        =1.2.3 => 1.2.3-beta; >1.2 => 1.2.8; ^0.0.1 => 0.0.2-alpha; ^0.0.1 => 0.0.2
        ^1.2.3 => 2.0.0-alpha; ^1.2.3 => 1.2.2; ^1.2 => 1.1.9; * => v1.2.3-foo
        ^1.0.0 => 2.0.0-rc1; ^1.2.3-beta.2 => 1.2.4-beta.1; ^1.2.3-beta.2 => 1.2.3-beta.1
        * => 1.0.0-rc.1;  => 1.0.0-rc.1; 1.2 - 2 => 3.0.0; 1.2 - 2 => 3.0.0-0
        1.2 - 2 => 1.1.9; ^0.0.x => 0.1.0; ^0.x => 1.0.0; ^0.0 => 0.1.0; ~0.2.3 => 0.3.0
        ^0.2.3 => 0.3.0; ^0.0.3 => 0.0.4; ~1.2.3 => 1.3.0; >X => 1.0.0; <X => 0.0.0
        <x <* || >* 2.x => 2.0.0; ^1.2.x => 2.0.0; 1.2.3 - 2.3.4 => 2.3.5
        * || 1.0.0-rc.1 => 1.0.0-rc.1; >=1.0.0-alpha <1.0.1 || >=2.0.0 <3.0.0 => 2.5.0-beta
        >=1.0.0 <=1.0.0 => 1.0.0-rc.1; <=1.0.0-rc.2 => 0.9.0-rc.1; 1.0.0 => 1.0.0-rc.1
    ";

    #[test]
    fn range_include() {
        let table = cases(INCLUDE);
        assert!(table.len() >= 100, "{}", table.len());
        for (range, version) in table {
            assert!(
                r(range).satisfies(&v(version)),
                "{range:?} should include {version}"
            );
        }
    }

    #[test]
    fn range_exclude() {
        let table = cases(EXCLUDE);
        assert!(table.len() >= 80, "{}", table.len());
        for (range, version) in table {
            assert!(
                !r(range).satisfies(&v(version)),
                "{range:?} should exclude {version}"
            );
        }
    }

    // Desugaring, from node-semver test/fixtures/range-parse.js (with ` || `, `*` for '').
    #[test]
    fn range_normalizes() {
        let table = "
            1.0.0 - 2.0.0 => >=1.0.0 <=2.0.0; 1 - 2 => >=1.0.0 <3.0.0-0; >=* => *;  => *
            1.0 - 2.0 => >=1.0.0 <2.1.0-0; 1 => >=1.0.0 <2.0.0-0; <\t2.0.0 => <2.0.0; x => *
            0.1.20 || 1.2.4 => 0.1.20 || 1.2.4; || => *; 2.3 => >=2.3.0 <2.4.0-0
            1.2.x || 2.x => >=1.2.0 <1.3.0-0 || >=2.0.0 <3.0.0-0; ~>3.2.1 => >=3.2.1 <3.3.0-0
            ~> 1 => >=1.0.0 <2.0.0-0; ~ 1.0 => >=1.0.0 <1.1.0-0; ^0 => <1.0.0-0
            ^ 1 => >=1.0.0 <2.0.0-0; ^0.1 => >=0.1.0 <0.2.0-0; ^0.0.1 => >=0.0.1 <0.0.2-0
            ^0.0.1-beta => >=0.0.1-beta <0.0.2-0; ^1.2.3-beta.4 => >=1.2.3-beta.4 <2.0.0-0
            <1 => <1.0.0-0; >=1 => >=1.0.0; <1.2 => <1.2.0-0; > 1.0.0 => >1.0.0
            ^ 1.2 ^ 1 => >=1.2.0 <2.0.0-0 >=1.0.0; 1.2 - 3.4.5 => >=1.2.0 <=3.4.5
            1.2.3 - 3.4 => >=1.2.3 <3.5.0-0; 1.2 - 3.4 => >=1.2.0 <3.5.0-0; >1 => >=2.0.0
            >1.2 => >=1.3.0; >X => <0.0.0-0; <X => <0.0.0-0; <x <* || >* 2.x => <0.0.0-0
            >x 2.x || * || <x => *; ~1.2.3 => >=1.2.3 <1.3.0-0; ~0.2.3 => >=0.2.3 <0.3.0-0
            ^0.2.3 => >=0.2.3 <0.3.0-0; ^0.0.3 => >=0.0.3 <0.0.4-0; ^1.2.x => >=1.2.0 <2.0.0-0
            ^0.x => <1.0.0-0; ^0.0.x => <0.1.0-0; ^0.0 => <0.1.0-0; =1.2.3 => 1.2.3
            v1.2.3 => 1.2.3; >=v1.2.3+build => >=1.2.3; 1.2.3 1.2.3 => 1.2.3; <=1.x => <2.0.0-0
            1.2.3-pre+asdf - 2.4.3-pre+asdf => >=1.2.3-pre <=2.4.3-pre; ~1 => >=1.0.0 <2.0.0-0
            ^1.x.3 => >=1.0.0 <2.0.0-0; ~x.1 => *; 1.x.3 - 2 => >=1.0.0 <3.0.0-0
        ";
        for (range, want) in cases(table) {
            assert_eq!(r(range).to_string(), want, "normalizing {range:?}");
        }
    }

    #[test]
    fn ordering_and_prerelease_precedence() {
        let chain: Vec<&str> = "0.0.0 0.0.1 0.1.0 1.0.0-0 1.0.0-1 1.0.0-2 1.0.0-10 1.0.0-a
            1.0.0-alpha 1.0.0-alpha.1 1.0.0-alpha.beta 1.0.0-beta 1.0.0-beta.2 1.0.0-beta.11
            1.0.0-rc.1 1.0.0 1.0.0+build 1.0.1 1.2.0 1.10.0 2.0.0-rc.1 2.0.0 10.0.0"
            .split_whitespace()
            .collect();
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
            assert!(v(pair[1]) > v(pair[0]), "{} > {}", pair[1], pair[0]);
        }
        let mut shuffled: Vec<Version> = chain.iter().rev().map(|s| v(s)).collect();
        shuffled.sort();
        assert_eq!(shuffled, chain.iter().map(|s| v(s)).collect::<Vec<_>>());
        // Build metadata: no precedence, but Eq and Ord still tell the versions apart.
        assert_ne!(v("1.0.0+a"), v("1.0.0"));
        assert_eq!(v("1.0.0+a").cmp_precedence(&v("1.0.0+b")), Ordering::Equal);
        assert!(v("1.0.0+a") < v("1.0.0+b"));
        assert_eq!(v("v1.0.0").cmp(&v("=1.0.0")), Ordering::Equal);
    }

    #[test]
    fn version_parse_and_display() {
        let table = "1.2.3 => 1.2.3;  v1.2.3  => 1.2.3; =1.2.3 => 1.2.3; = v 1.2.3 => 1.2.3
            1.2.3-beta.1+build.5 => 1.2.3-beta.1+build.5; 1.2.3-0a.-x.0+001 => 1.2.3-0a.-x.0+001
            9007199254740991.0.0 => 9007199254740991.0.0";
        for (input, shown) in cases(table) {
            assert_eq!(v(input).to_string(), shown);
            assert_eq!(input.parse::<Version>().unwrap(), v(shown));
        }
        let x = v("1.2.3-beta.1+b");
        assert_eq!((x.major, x.minor, x.patch), (1, 2, 3));
        let beta = Prerelease::Alpha("beta".into());
        assert_eq!(x.pre, [beta, Prerelease::Numeric(1)]);
        assert_eq!(x.build, ["b"]);
        assert!(x.is_prerelease() && !v("1.2.3").is_prerelease());
        assert_eq!(v("\t v1.2.3-rc.1 \n"), v("1.2.3-rc.1"));
    }

    #[test]
    fn version_errors() {
        let table =
            ";1;1.2;1.2.3.4;01.2.3;1.02.3;1.2.3-;1.2.3+;1.2.3-01;1.2.3-beta..1;1.2.3-beta_1;
            1.2.x;x.1.2;a.b.c;1.2.3beta;latest;9007199254740992.0.0;1.2.99999999999999999999999;
            1.2.3-9007199254740992;1.2.3 4;1.2.3+a+b;1.2.3-é;v;=";
        let long = format!("1.2.3-{}", "a".repeat(300));
        for bad in table.split(';').map(str::trim).chain([long.as_str()]) {
            let e = Version::parse(bad).expect_err(bad);
            assert!(e.starts_with(&format!("invalid version \"{bad}\"")), "{e}");
        }
    }

    #[test]
    fn range_errors() {
        let table = "^1.2.3.4; latest; next; github:x/y; file:../x; npm:foo@1; http://x/y; v;
            git+https://x/y.git; user/repo; >01.02.03; ~1.2.3beta; 1.2.3 -; - 1.2.3; ^; ~>;
            1.2.3 - 2.3.4 - 5; >=; 1 | 2; >=1.2.3<2; 1.x.y; >9007199254740992; ^1.2.3-01;
            1.2.3 - 9007199254740992; 1.2.3 || latest; =>1.2.3; <>1.2.3; !1.2.3; tag@1;
            1.2.3 - 2.3.4 || junk; 1.2.3 - 2.3.4.5; ~1.2.3 latest; x.y.z; 1.x.3; >=x.1; x.x.1";
        let long = ">=1.2.3 ".repeat(40);
        for bad in table.split(';').map(str::trim).chain([long.as_str()]) {
            let e = Range::parse(bad).expect_err(bad);
            let want = format!("invalid version range \"{bad}\"");
            assert!(e.starts_with(&want), "{e}");
        }
        assert!(Range::parse(&">=1 ".repeat(64)).is_ok()); // exactly 256 characters
    }

    #[test]
    fn max_satisfying() {
        // `range => comma-separated candidates => expected` (empty: no match).
        let table = "
            ~1.2 => 1.2.0,1.2.5,1.3.0,junk,1.2.10-beta => 1.2.5
            ^1.2.3 => 1.2.3,1.10.0,1.9.9,2.0.0,1.11.0-beta => 1.10.0
            ^1.2.3-beta.2 => 1.2.3-beta.1,1.2.3-beta.4,1.2.4-beta.1 => 1.2.3-beta.4
            ~0.6.1-1 => 0.6.1-1,0.6.1-2 => 0.6.1-2
            1.2.3 || 1.2.4 => 1.2.3,1.2.4 => 1.2.4
            1.2.x || 2.x => 1.2.4,1.3.0,2.1.0,3.0.0 => 2.1.0
            * => 1.0.0-rc.1,0.9.0,v0.9.1,nope => 0.9.1
            >=2 => 1.0.0,1.9.9 =>
            * =>  =>
            ^1 => not a version,,1.2 =>";
        for line in table.lines().filter(|l| !l.trim().is_empty()) {
            let cells: Vec<&str> = line.split("=>").map(str::trim).collect();
            let got = r(cells[0]).max_satisfying(cells[1].split(','));
            let got = got.map(|v| v.to_string()).unwrap_or_default();
            assert_eq!(got, cells[2], "max_satisfying({line})");
        }
    }
}
