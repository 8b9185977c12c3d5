//! Connection threads: every accepted connection is served, for its whole life, by one of a few
//! threads that each run their own single-threaded event loop (thread per core, as nginx and
//! Envoy do).
//!
//! With one work-stealing runtime for all connections, a request on a keep-alive connection
//! typically woke two or three threads (the one polling the socket, the one it handed the task
//! to, a third one looking for work to steal) and switched between them; here one request wakes
//! one thread and stays there. Connections go to the thread serving the fewest (ties: round
//! robin), so two busy clients land on two threads (measurements: the README's performance
//! table, "Connection threads"). A call into a sandbox that computes for long
//! does not hold its thread: it moves to the runtime's long-running lane after 0.5 ms of CPU.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The running connection threads.
pub(crate) struct ConnThreads {
    threads: Vec<ConnThread>,
    next: usize,
}

struct ConnThread {
    handle: Handle,
    open: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    done: oneshot::Receiver<()>,
}

/// Counts one connection as open on its thread until dropped.
pub(crate) struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ConnThreads {
    /// Start `n` threads (at least one).
    pub(crate) fn start(n: usize) -> std::io::Result<Self> {
        let mut threads = Vec::with_capacity(n.max(1));
        for i in 0..n.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let (finished, done) = oneshot::channel();
            std::thread::Builder::new()
                .name(format!("wasm-sandbox-http-{i}"))
                .spawn(move || {
                    // Serves the connections spawned onto it until told to stop (or until the
                    // daemon is gone); dropping the runtime then drops what is still open.
                    let _ = runtime.block_on(stopped);
                    drop(runtime);
                    let _ = finished.send(());
                })?;
            threads.push(ConnThread {
                handle,
                open: Arc::default(),
                stop,
                done,
            });
        }
        Ok(ConnThreads { threads, next: 0 })
    }

    /// The thread to serve a new connection on: the one with the fewest open connections, the
    /// next in turn among equals. The connection counts as open there until `Open` is dropped.
    pub(crate) fn pick(&mut self) -> (Handle, Open) {
        let n = self.threads.len();
        let start = self.next;
        let mut best = start % n;
        let mut fewest = usize::MAX;
        for k in 0..n {
            let i = (start + k) % n;
            let open = self.threads[i].open.load(Ordering::Relaxed);
            if open < fewest {
                fewest = open;
                best = i;
            }
        }
        self.next = (best + 1) % n;
        let t = &self.threads[best];
        t.open.fetch_add(1, Ordering::Relaxed);
        (t.handle.clone(), Open(t.open.clone()))
    }

    /// Stop every thread, dropping the connections still open on them, and wait until they have
    /// ended.
    pub(crate) async fn stop(self) {
        let mut done = Vec::with_capacity(self.threads.len());
        for t in self.threads {
            let _ = t.stop.send(());
            done.push(t.done);
        }
        for d in done {
            let _ = d.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_go_to_the_least_busy_thread_and_stop_ends_the_threads() {
        let mut threads = ConnThreads::start(3).unwrap();
        let (h0, a) = threads.pick();
        let (h1, b) = threads.pick();
        let (h2, _c) = threads.pick();
        let ids = [h0.id(), h1.id(), h2.id()];
        assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
        // Two connections close: the next two go to their threads, not to the busy one.
        drop((a, b));
        let (h3, _d) = threads.pick();
        let (h4, _e) = threads.pick();
        assert!([ids[0], ids[1]].contains(&h3.id()) && [ids[0], ids[1]].contains(&h4.id()));
        assert_ne!(h3.id(), h4.id());
        // What runs there runs on the named thread.
        let name = h3
            .spawn(async { std::thread::current().name().unwrap().to_string() })
            .await
            .unwrap();
        assert!(name.starts_with("wasm-sandbox-http-"), "{name}");
        // A task still running when the threads stop is dropped with them.
        let (tx, rx) = oneshot::channel::<()>();
        h4.spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await
        });
        threads.stop().await;
        assert!(rx.await.is_err(), "the pending task was dropped");
    }
}
