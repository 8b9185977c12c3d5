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
    /// Bytes of clean pages unmapped from them.
    pub bytes: u64,
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

    /// Unmap the pages of `[base, base + len)` that are mapped and still backed by the file they
    /// were mapped from (never written). Returns the bytes unmapped.
    ///
    /// # Safety
    /// The range must be (part of) one private file mapping, such as a copy-on-write linear
    /// memory, that nothing reads or writes during the call.
    pub(crate) unsafe fn release_clean_pages(base: usize, len: usize) -> u64 {
        let Some(file) = pagemap() else { return 0 };
        let page = page_size();
        let first = base / page;
        let pages = (base + len).div_ceil(page) - first;
        let mut entries = vec![0u8; CHUNK * 8];
        let mut released = 0u64;
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
                if e & PRESENT != 0 && e & FILE_OR_SHARED != 0 {
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
        released
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// Not implemented off Linux: nothing is released.
    pub(crate) unsafe fn release_clean_pages(_base: usize, _len: usize) -> u64 {
        0
    }
}

pub(crate) use imp::release_clean_pages;
