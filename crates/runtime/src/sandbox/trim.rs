//! Idle trimming: give the kernel back the snapshot pages an idle instance only read.
//!
//! An instance's linear memory starts as a private copy-on-write mapping of the engine's snapshot
//! image. Pages the guest only reads stay shared with the image (the page cache holds one copy)
//! but are mapped into the instance, so each one counts in the process's RSS once per instance
//! that read it; pages the guest writes become the instance's private copies. For an idle
//! instance this finds its mapped pages that are still the file's (`/proc/self/pagemap`: present
//! and file-backed) and unmaps them with `madvise(MADV_DONTNEED)`. RSS falls to what the instance
//! really owns (its written pages); when it runs again, the pages it touches fault back in from
//! the page cache with the same contents. Written pages are never touched, so module state is
//! kept exactly.
//!
//! Pages the instance *wrote* are its own, except when they hold exactly what the snapshot image
//! (or, past the image, zeros) holds there: a pool slot reset in place keeps the pages its last
//! occupant wrote mapped, restored to the image's bytes, so a new instance in a reused slot
//! starts with up to `KEEP_RESIDENT` of private pages it never wrote (finding 6 of issue 15:
//! under mixed traffic every warm instance ended up carrying ~1-2 MiB). The first instance ever
//! anchored captures the image ([`capture_image`]: the pages still backed by the file, or not
//! yet mapped, read once); the trimmer then also unmaps written pages equal to the image's, which
//! makes them the image's (or zero) again on the next access — the same bytes.
//!
//! The sweep ([`WorkerRegistry::trim_idle`](crate::worker::WorkerRegistry::trim_idle)) runs on a
//! background thread every [`Config::idle_trim_after`](crate::Config::idle_trim_after): a worker
//! used more often than that never pays for it; one that sat idle pays a few dozen microseconds of
//! minor page faults on its next request.

use std::time::Duration;

/// What a trim released.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrimStats {
    /// Idle instances trimmed.
    pub instances: usize,
    /// Bytes of pages unmapped from them (clean ones, and written ones equal to the image).
    pub bytes: u64,
}

/// What one instance's trim found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Trimmed {
    /// Bytes unmapped.
    pub released: u64,
    /// Bytes the instance still holds privately (its module state).
    pub owned: u64,
}

/// The snapshot's initial linear memory, as far as it is known, page by page.
pub(crate) struct Image {
    pages: Vec<ImagePage>,
}

enum ImagePage {
    /// The capturing instance had already written it.
    Unknown,
    /// All zero (most of the memory past the snapshot's data): not stored.
    Zero,
    Bytes(Box<[u8]>),
}

static IMAGE: std::sync::OnceLock<Image> = std::sync::OnceLock::new();

/// The captured image, if an instance has captured it.
pub(crate) fn image() -> Option<&'static Image> {
    IMAGE.get()
}

impl std::ops::AddAssign for TrimStats {
    fn add_assign(&mut self, other: TrimStats) {
        self.instances += other.instances;
        self.bytes += other.bytes;
    }
}

/// The sweep period and idle age for `Config::idle_trim_after`.
pub(crate) fn period(after: Duration) -> Duration {
    after.max(Duration::from_millis(10))
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::os::unix::fs::FileExt;
    use std::sync::OnceLock;

    const PRESENT: u64 = 1 << 63;
    const FILE_OR_SHARED: u64 = 1 << 61;
    /// Pagemap entries read per `pread` (8 bytes each).
    const CHUNK: usize = 1024;

    fn pagemap() -> Option<&'static File> {
        static PAGEMAP: OnceLock<Option<File>> = OnceLock::new();
        PAGEMAP
            .get_or_init(|| File::open("/proc/self/pagemap").ok())
            .as_ref()
    }

    fn page_size() -> usize {
        static SIZE: OnceLock<usize> = OnceLock::new();
        // SAFETY: sysconf has no preconditions.
        *SIZE.get_or_init(|| match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
            n if n > 0 => n as usize,
            _ => 4096,
        })
    }

    /// Capture the image from `memory` (an instance's whole linear memory, mapped at its
    /// address, never run before except for what its first call wrote): pages backed by the
    /// file or not mapped yet hold the image's (or zero) bytes; pages already written are left
    /// unknown. Done once per process.
    pub(crate) fn capture_image(memory: &[u8]) {
        if super::IMAGE.get().is_some() {
            return;
        }
        let Some(file) = pagemap() else { return };
        let page = page_size();
        let base = memory.as_ptr() as usize;
        if !base.is_multiple_of(page) {
            return;
        }
        let pages = memory.len() / page;
        let mut entries = vec![0u8; pages * 8];
        if file
            .read_exact_at(&mut entries, ((base / page) * 8) as u64)
            .is_err()
        {
            return;
        }
        let image = super::Image {
            pages: entries
                .chunks_exact(8)
                .enumerate()
                .map(|(i, e)| {
                    let e = u64::from_le_bytes(e.try_into().unwrap());
                    let written = e & PRESENT != 0 && e & FILE_OR_SHARED == 0;
                    let bytes = &memory[i * page..(i + 1) * page];
                    if written {
                        super::ImagePage::Unknown
                    } else if bytes.iter().all(|&b| b == 0) {
                        super::ImagePage::Zero
                    } else {
                        super::ImagePage::Bytes(bytes.into())
                    }
                })
                .collect(),
        };
        let _ = super::IMAGE.set(image);
    }

    /// Whether the page at `addr` holds what the image holds at `index` (zeros past it).
    ///
    /// # Safety
    /// `addr` is a mapped page nothing writes during the call.
    unsafe fn equals_image(addr: usize, index: usize, page: usize) -> bool {
        // SAFETY: the caller's guarantee.
        let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, page) };
        match super::image() {
            None => false,
            Some(image) => match image.pages.get(index) {
                Some(super::ImagePage::Bytes(known)) => **known == *bytes,
                Some(super::ImagePage::Unknown) => false,
                Some(super::ImagePage::Zero) | None => bytes.iter().all(|&b| b == 0),
            },
        }
    }

    /// Unmap the pages of `[base, base + len)` that are mapped and still backed by the file they
    /// were mapped from (never written), and those written that hold the image's bytes again.
    ///
    /// # Safety
    /// The range must be one linear memory of the engine component (a private file mapping of
    /// its image, then anonymous memory), mapped from `base`, that nothing reads or writes
    /// during the call.
    pub(crate) unsafe fn release_clean_pages(base: usize, len: usize) -> super::Trimmed {
        let mut out = super::Trimmed::default();
        let Some(file) = pagemap() else { return out };
        let page = page_size();
        let first = base / page;
        let pages = (base + len).div_ceil(page) - first;
        let mut entries = vec![0u8; CHUNK * 8];
        let mut released = 0u64;
        let mut owned = 0u64;
        // The current run of clean pages: (first page, count).
        let mut run: Option<(usize, usize)> = None;
        let flush = |run: &mut Option<(usize, usize)>, released: &mut u64| {
            if let Some((start, n)) = run.take() {
                // SAFETY: the pages are in the caller's mapping, which nothing accesses now;
                // dropping a clean private file page only makes the next access fault it back
                // in from the file, unchanged.
                let rc = unsafe {
                    libc::madvise(
                        (start * page) as *mut libc::c_void,
                        n * page,
                        libc::MADV_DONTNEED,
                    )
                };
                if rc == 0 {
                    *released += (n * page) as u64;
                }
            }
        };
        let mut done = 0;
        while done < pages {
            let n = (pages - done).min(CHUNK);
            let buf = &mut entries[..n * 8];
            if file
                .read_exact_at(buf, ((first + done) * 8) as u64)
                .is_err()
            {
                break;
            }
            for (i, e) in buf.chunks_exact(8).enumerate() {
                let e = u64::from_le_bytes(e.try_into().unwrap());
                let p = first + done + i;
                let present = e & PRESENT != 0;
                let clean = present && e & FILE_OR_SHARED != 0;
                // SAFETY: a present page of the caller's mapping, which nothing writes now.
                let restored =
                    present && !clean && unsafe { equals_image(p * page, p - base / page, page) };
                if present && !clean && !restored {
                    owned += page as u64;
                }
                if clean || restored {
                    match &mut run {
                        Some((_, count)) => *count += 1,
                        None => run = Some((p, 1)),
                    }
                } else {
                    flush(&mut run, &mut released);
                }
            }
            done += n;
        }
        flush(&mut run, &mut released);
        out.released = released;
        out.owned = owned;
        out
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// Not implemented off Linux: nothing is released.
    pub(crate) unsafe fn release_clean_pages(_base: usize, len: usize) -> super::Trimmed {
        super::Trimmed {
            released: 0,
            owned: len as u64,
        }
    }

    /// Not implemented off Linux.
    pub(crate) fn capture_image(_memory: &[u8]) {}
}

pub(crate) use imp::{capture_image, release_clean_pages};
