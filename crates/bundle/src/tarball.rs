//! Checking and unpacking npm package tarballs entirely in memory.
//!
//! The tarball and its `dist.integrity` come from a registry we do not trust, and the
//! unpacking runs inside a shared daemon. So every size is capped before memory is spent on
//! it, every path is checked, and any entry that is not a plain file or a directory makes the
//! whole package fail. Nothing here touches the disk.
#![forbid(unsafe_code)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Read};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256, Sha384, Sha512};
use tar::EntryType;

/// Caps on what one package may unpack to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sum of the sizes of all kept files.
    pub max_total_bytes: u64,
    /// Number of kept files.
    pub max_files: usize,
    /// Size of any one file.
    pub max_file_bytes: u64,
    /// Length in bytes of an entry's path as stored in the archive.
    pub max_path_len: usize,
}

impl Default for Limits {
    /// 64 MiB unpacked in total, 20,000 files, 16 MiB per file, 512-byte paths.
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 << 20,
            max_files: 20_000,
            max_file_bytes: 16 << 20,
            max_path_len: 512,
        }
    }
}

/// Check `bytes` against a Subresource-Integrity string as npm's `dist.integrity` gives it:
/// `"sha512-<base64>"`, possibly several hashes separated by spaces. At least one hash of an
/// accepted algorithm (sha512, sha384, sha256) must be present, and every accepted one present
/// must match. Other algorithms, such as sha1, are ignored, so a string holding only those is
/// refused, as is an empty string or a malformed digest. `what` names the tarball in errors.
pub fn verify_integrity(what: &str, bytes: &[u8], integrity: &str) -> Result<(), String> {
    let mut digests: [Option<Vec<u8>>; 3] = Default::default(); // each computed at most once
    let (mut checked, mut ignored) = (0, Vec::new());
    for token in integrity.split_ascii_whitespace() {
        // SRI allows `?options` after the digest; they mean nothing here.
        let token = token.split('?').next().unwrap_or_default();
        let (alg, b64) = token.split_once('-').unwrap_or((token, ""));
        let slot = match alg {
            "sha512" => 0,
            "sha384" => 1,
            "sha256" => 2,
            _ => {
                ignored.push(alg);
                continue;
            }
        };
        let got = digests[slot].get_or_insert_with(|| match slot {
            0 => Sha512::digest(bytes).to_vec(),
            1 => Sha384::digest(bytes).to_vec(),
            _ => Sha256::digest(bytes).to_vec(),
        });
        match STANDARD.decode(b64) {
            Ok(want) if want == *got => checked += 1,
            Ok(want) if want.len() == got.len() => {
                let (want, got) = (STANDARD.encode(want), STANDARD.encode(got));
                let msg = format!("expected {alg}-{want}, got {alg}-{got}");
                return Err(format!("integrity mismatch for {what}: {msg}"));
            }
            _ => return Err(format!("malformed {alg} digest in integrity for {what}")),
        }
    }
    ignored.sort_unstable();
    ignored.dedup();
    match checked {
        0 if ignored.is_empty() => Err(format!("empty integrity for {what}")),
        0 => Err(format!(
            "integrity for {what} has no sha512, sha384 or sha256 hash (only {})",
            show(ignored.join(", ").as_bytes())
        )),
        _ => Ok(()),
    }
}

/// The SRI sha512 string of `bytes`: "sha512-" followed by the standard base64 of the digest.
pub fn sri_sha512(bytes: &[u8]) -> String {
    format!("sha512-{}", STANDARD.encode(Sha512::digest(bytes)))
}

/// Unpack a gzipped tar into a sorted map from path to contents. Paths are relative to the
/// package root: the first path component (npm uses `package/`, some tarballs another name)
/// is removed. Directories are skipped. Links, devices and other special entries, unsafe or
/// duplicate paths, anything over `limits`, and corrupt or truncated input all make the whole
/// call fail, with an error naming `what` and, where known, the entry.
pub fn extract(
    what: &str,
    tgz: &[u8],
    limits: &Limits,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    if !tgz.starts_with(&[0x1f, 0x8b]) {
        return Err(format!("{what} is not gzip-compressed"));
    }
    // Besides file contents the stream holds a 512-byte header per entry, padding to the next
    // 512 bytes, perhaps a long-name or pax record, and the end-of-archive blocks.
    let slack = (limits.max_files as u64).saturating_add(512); // 2 KiB each, plus 1 MiB
    let slack = slack.saturating_mul(2048);
    let cap = limits.max_total_bytes.saturating_add(slack);
    let tripped = Cell::new(false);
    let gz = GzDecoder::new(tgz);
    let mut archive = tar::Archive::new(Capped(gz, cap, &tripped));
    let broken = |at: &str, e: io::Error| {
        let bomb = "refused as a likely gzip bomb";
        if tripped.get() {
            format!("{what} unpacks to over {cap} bytes{at}, {bomb}")
        } else {
            format!("{what} is corrupt{at}: {e}")
        }
    };

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total = 0u64;
    for entry in archive.entries().map_err(|e| broken("", e))? {
        let mut entry = entry.map_err(|e| broken("", e))?;
        let raw = entry.path_bytes().into_owned();
        let name = show(&raw);
        let refuse = |why: &str| format!("{what}: refuses {why} `{name}`");
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Regular | EntryType::Directory => {}
            EntryType::XGlobalHeader => continue,
            EntryType::Symlink => return Err(refuse("symlink")),
            EntryType::Link => return Err(refuse("hard link")),
            EntryType::Char => return Err(refuse("character device")),
            EntryType::Block => return Err(refuse("block device")),
            EntryType::Fifo => return Err(refuse("FIFO")),
            _ => {
                let why = format!("entry of type {:?}", kind.as_byte() as char);
                return Err(refuse(&why));
            }
        }
        if raw.len() > limits.max_path_len {
            return Err(refuse(&format!("path over {} bytes", limits.max_path_len)));
        }
        let Some(path) = normalize(&raw).map_err(refuse)? else {
            continue; // the package root itself
        };
        if kind == EntryType::Directory {
            continue;
        }
        let size = entry.size();
        if files.len() >= limits.max_files {
            return Err(refuse(&format!("more than {} files, at", limits.max_files)));
        } else if size > limits.max_file_bytes {
            let why = format!("{size}-byte file (limit {})", limits.max_file_bytes);
            return Err(refuse(&why));
        } else if total.saturating_add(size) > limits.max_total_bytes {
            let why = format!("more than {} bytes in total, at", limits.max_total_bytes);
            return Err(refuse(&why));
        } else if files.contains_key(&path) {
            return Err(refuse("ambiguous duplicate path"));
        }
        // A file may not also be the parent directory of another file.
        let dir = format!("{path}/");
        let next = files.range(dir.clone()..).next();
        let mut ancestors = path.match_indices('/').map(|(i, _)| &path[..i]);
        if ancestors.any(|a| files.contains_key(a)) || next.is_some_and(|n| n.0.starts_with(&dir)) {
            return Err(refuse("path that is both a file and a directory"));
        }
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        let mut body = (&mut entry).take(limits.max_file_bytes.saturating_add(1));
        body.read_to_end(&mut data)
            .map_err(|e| broken(&format!(" at `{name}`"), e))?;
        if data.len() as u64 != size {
            let why = format!("truncated ({} of {size} bytes) file", data.len());
            return Err(refuse(&why));
        }
        total += size;
        files.insert(path, data);
    }
    // Read on to the end of the gzip stream so that its checksum and length are verified too.
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(|e| broken("", e))?;
    Ok(files)
}

/// Check a raw archive path and turn it into a path below the package root, or `None` for
/// the root itself. `.` and empty components are dropped; the first real one is removed.
fn normalize(raw: &[u8]) -> Result<Option<String>, &'static str> {
    let path = std::str::from_utf8(raw).map_err(|_| "non-UTF-8 path")?;
    if path.is_empty() {
        return Err("empty path");
    } else if path.contains('\0') {
        return Err("path containing NUL");
    } else if path.contains('\\') {
        return Err("path containing a backslash");
    } else if path.starts_with('/') {
        return Err("absolute path");
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        let b = part.as_bytes();
        match part {
            "" | "." => {}
            ".." => return Err("path containing `..`"),
            _ if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' => {
                return Err("path with a drive prefix");
            }
            _ => parts.push(part),
        }
    }
    Ok((parts.len() > 1).then(|| parts[1..].join("/")))
}

/// A hostile name made safe for an error message: control characters escaped, length capped.
fn show(raw: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in String::from_utf8_lossy(raw).chars().enumerate() {
        match i {
            160 => return out + "…",
            _ if c.is_control() => out.extend(c.escape_default()),
            _ => out.push(c),
        }
    }
    out
}

/// A reader over `.0` that fails, and sets `.2`, once the stream goes on past `.1` bytes.
struct Capped<'a, R>(R, u64, &'a Cell<bool>);

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1 == 0 && !buf.is_empty() {
            // Only a stream that really goes on past the cap is an error.
            if self.0.read(&mut [0u8; 1])? == 0 {
                return Ok(0);
            }
            self.2.set(true);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        let want = usize::try_from(self.1).map_or(buf.len(), |left| left.min(buf.len()));
        let n = self.0.read(&mut buf[..want])?;
        self.1 -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;
    use tar::{Builder, EntryType::*, Header};

    type Raw<'a> = (&'a [u8], EntryType, &'a [u8]);

    fn gzip(tar: &[u8]) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(tar).unwrap();
        gz.finish().unwrap()
    }

    /// A header with the name bytes written straight in, bypassing the builder's path checks.
    /// The old-style '\0' type gets an old (V7) header, everything else a GNU one.
    fn raw_header(name: &[u8], kind: EntryType, size: u64) -> Header {
        let mut h = Header::new_gnu();
        if kind.as_byte() == 0 {
            h = Header::new_old();
        }
        let n = name.len().min(100);
        h.as_old_mut().name[..n].copy_from_slice(&name[..n]);
        h.set_size(size);
        h.set_entry_type(kind);
        h.set_cksum();
        h
    }

    fn raw_tgz(entries: &[Raw<'_>]) -> Vec<u8> {
        let mut b = Builder::new(Vec::new());
        for &(name, kind, data) in entries {
            let h = raw_header(name, kind, data.len() as u64);
            b.append(&h, data).unwrap();
        }
        gzip(&b.into_inner().unwrap())
    }

    /// A pax extended header body setting `path`.
    fn pax(value: &[u8]) -> Vec<u8> {
        let body = [b" path=", value, b"\n"].concat();
        let len = (1..).find(|n: &usize| n.to_string().len() + body.len() == *n);
        [len.unwrap().to_string().as_bytes(), &body].concat()
    }

    fn refused_tgz(tgz: &[u8], limits: &Limits, needle: &str) {
        let err = extract("t.tgz", tgz, limits).unwrap_err();
        assert!(err.contains("t.tgz") && err.contains(needle), "{err}");
    }

    fn refused(entries: &[Raw<'_>], needle: &str) {
        refused_tgz(&raw_tgz(entries), &Limits::default(), needle);
    }

    fn good_tgz() -> Vec<u8> {
        let mut b = Builder::new(Vec::new());
        for (path, kind, data) in [
            ("package/", Directory, &b""[..]),
            ("package/package.json", Regular, b"{}"),
            ("package/lib/deep/er/index.js", Regular, b"export {}"),
            ("package/./lib/a.js", Regular, b"1"),
        ] {
            let mut h = Header::new_ustar();
            h.set_entry_type(kind);
            h.set_size(data.len() as u64);
            b.append_data(&mut h, path, data).unwrap();
        }
        let old = raw_header(b"package/old.js", EntryType::new(0), 2);
        b.append(&old, &b"ok"[..]).unwrap();
        gzip(&b.into_inner().unwrap())
    }

    #[test]
    fn good_package_with_nested_directories() {
        let files = extract("t.tgz", &good_tgz(), &Limits::default()).unwrap();
        let names: Vec<_> = files.keys().map(String::as_str).collect();
        let want = ["lib/a.js", "lib/deep/er/index.js", "old.js", "package.json"];
        assert_eq!(names, want);
        assert_eq!(files["lib/deep/er/index.js"], b"export {}");
        assert_eq!(files["old.js"], b"ok");
        // Another root name is stripped the same way.
        let other = raw_tgz(&[(b"node-pkg/index.js", Regular, b"x")]);
        let files = extract("t.tgz", &other, &Limits::default()).unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["index.js"]);
    }

    #[test]
    fn integrity() {
        let data = b"some tarball bytes";
        let vi = |s: &str| verify_integrity("t.tgz", data, s);
        let bad = |s: &str, needle: &str| {
            let err = vi(s).unwrap_err();
            assert!(err.contains(needle), "{err}");
        };
        let good = sri_sha512(data);
        vi(&good).unwrap();
        let s256 = format!("sha256-{}", STANDARD.encode(Sha256::digest(data)));
        let s384 = format!("sha384-{}", STANDARD.encode(Sha384::digest(data)));
        vi(&format!("sha1-AAAA {s256}\n{s384}?opt")).unwrap();
        let err = verify_integrity("hono-4.6.3.tgz", b"other", &good).unwrap_err();
        let got = sri_sha512(b"other");
        let want = format!("integrity mismatch for hono-4.6.3.tgz: expected {good}, got {got}");
        assert_eq!(err, want);
        // Every accepted hash must match, not just one of them.
        let bad256 = format!("sha256-{}", STANDARD.encode(Sha256::digest(b"x")));
        bad(&format!("{good} {bad256}"), "integrity mismatch");
        let sha1 = "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=";
        bad(sha1, "no sha512, sha384 or sha256 hash (only sha1)");
        bad("sha1-A nodash md5-A sha1-B", "(only md5, nodash, sha1)");
        bad("  ", "empty integrity for t.tgz");
        bad("sha512-!!!", "malformed sha512");
        bad("sha512-AAAA", "malformed sha512");
        bad(good.trim_end_matches('='), "malformed sha512"); // npm compares padded base64
    }

    #[test]
    fn hostile_entries_are_refused() {
        for (name, kind, why) in [
            (&b"../x"[..], Regular, "`..`"),
            (b"package/../../x", Regular, "`..`"),
            (b"/etc/passwd", Regular, "absolute path `/etc/passwd`"),
            (b"C:/x", Regular, "drive"),
            (b"package/C:x", Regular, "drive"),
            (b"package\\x", Regular, "backslash"),
            (b"package/\xff", Regular, "UTF-8"),
            (b"package/x", Symlink, "refuses symlink `package/x`"),
            (b"package/x", Link, "refuses hard link"),
            (b"package/x", Char, "refuses character device"),
            (b"package/x", Block, "refuses block device"),
            (b"package/x", Fifo, "refuses FIFO"),
            (b"package/x", Continuous, "refuses entry of type '7'"),
        ] {
            refused(&[(name, kind, b"")], why);
        }
        let (nul, empty) = (pax(b"package/a\0b"), pax(b""));
        refused(&[(b"P", XHeader, &nul), (b"p/ab", Regular, b"")], "NUL");
        refused(&[(b"P", XHeader, &empty), (b"p/a", Regular, b"")], "empty");
    }

    #[test]
    fn duplicates_and_file_dir_clashes_are_refused() {
        let (a, b) = ((&b"package/a"[..], Regular, &b"1"[..]), &b"2"[..]);
        refused(&[a, (b"package/./a", Regular, b)], "duplicate path");
        refused(&[a, (b"other/a", Regular, b)], "duplicate");
        refused(&[a, (b"package/a/b", Regular, b)], "both a file");
        refused(&[(b"package/a/b", Regular, b), a], "both a file");
    }

    #[test]
    fn limits_are_enforced() {
        // The header alone claims 17 MiB; the refusal comes before any of it is read.
        let mut b = Builder::new(Vec::new());
        let big = raw_header(b"package/big", Regular, 17 << 20);
        b.append(&big, io::empty()).unwrap();
        let tgz = gzip(&b.into_inner().unwrap());
        refused_tgz(&tgz, &Limits::default(), "17825792-byte file (limit");
        let mut small = Limits::default();
        (small.max_total_bytes, small.max_files) = (10, 2);
        let f = |name, data| (name, Regular, data);
        let three = raw_tgz(&[f(&b"p/a"[..], &b"1"[..]), f(b"p/b", b"2"), f(b"p/c", b"3")]);
        refused_tgz(&three, &small, "more than 2 files, at `p/c`");
        let big = raw_tgz(&[f(b"p/a", b"123456"), f(b"p/b", b"123456")]);
        refused_tgz(&big, &small, "more than 10 bytes in total, at `p/b`");
        let l = [b"package/", &[b'a'; 600][..]].concat();
        let e: [Raw<'_>; 2] = [(b"L", GNULongName, &l), (b"x", Regular, b"")];
        refused(&e, "path over 512 bytes");
    }

    #[test]
    fn long_paths_via_pax_and_gnu_long_name() {
        let long = format!("package/{}/index.js", "d".repeat(150));
        let rec = pax(long.as_bytes());
        let gnu = [long.as_bytes(), b"\0"].concat();
        let via_pax = raw_tgz(&[(b"P", XHeader, &rec), (b"package/x", Regular, b"1")]);
        let via_gnu = raw_tgz(&[(b"L", GNULongName, &gnu), (b"x", Regular, b"1")]);
        for tgz in [via_pax, via_gnu] {
            let files = extract("t", &tgz, &Limits::default()).unwrap();
            assert_eq!(files.keys().collect::<Vec<_>>(), [&long[8..]]);
        }
    }

    /// About 1 GiB of zeros after `prefix`, gzipped cheaply by repeating one flushed block.
    fn bomb(prefix: &[u8]) -> Vec<u8> {
        let mib = vec![0u8; 1 << 20];
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&[prefix, &mib].concat()).unwrap();
        gz.flush().unwrap();
        let start = gz.get_ref().len();
        gz.write_all(&mib).unwrap();
        gz.flush().unwrap();
        let mut out = gz.get_ref().clone();
        let unit = out[start..].to_vec();
        (0..1022).for_each(|_| out.extend_from_slice(&unit));
        out // no trailer: the reader has to give up long before the end
    }

    #[test]
    fn gzip_bomb_stops_early() {
        // Small caps keep this quick in debug builds; the defaults stop after about 105 MiB.
        let mut limits = Limits::default();
        (limits.max_total_bytes, limits.max_files) = (4 << 20, 100);
        let dir = raw_header(b"package/d/", Directory, 1 << 30);
        for tgz in [bomb(&[]), bomb(dir.as_bytes())] {
            let t = std::time::Instant::now();
            refused_tgz(&tgz, &limits, "gzip bomb");
            assert!(t.elapsed().as_secs_f64() < 1.0, "took {:?}", t.elapsed());
        }
    }

    #[test]
    fn garbage_truncation_and_bit_flips_never_panic() {
        let l = Limits::default();
        for junk in [&b""[..], b"PK\x03\x04", b"\x1f\x8b\x08\0\0\0\0\0\0\x03z"] {
            assert!(extract("t", junk, &l).is_err());
        }
        let good = good_tgz();
        for len in (0..good.len()).step_by(37) {
            assert!(extract("t", &good[..len], &l).is_err(), "prefix {len}");
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..400 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let mut bad = good.clone();
            bad[(seed >> 33) as usize % good.len()] ^= 1 << ((seed >> 29) & 7);
            let _ = extract("t", &bad, &l);
        }
    }
}
