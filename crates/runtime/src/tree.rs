//! One budget per request *tree*: a request from outside and every call it causes through
//! service bindings or an intercepting `globalOutbound` (other workers, and what they call in
//! turn) share one [`RequestTree`].
//!
//! What the tree bounds ([`TreeLimits`], defaults in its docs):
//! - **depth** on every path (service binding, interception, and any mix of them): a call deeper
//!   than `max_depth` is refused with a catchable error, so a worker calling itself stops there;
//! - **calls in flight per invocation**: each invocation runs at most `max_calls_in_flight`
//!   service/intercepted calls at once; more wait their turn in that invocation's own queue (no
//!   invocation ever waits on a permit an ancestor holds, so this cannot deadlock);
//! - **instances**: the sandboxes the tree holds at once (its root's included) are capped by
//!   `max_instances`; beyond it a call is refused;
//! - **pool headroom**: a nested call is refused while the pool's busy sandboxes are at
//!   `1 - reserve` of its capacity, so one tree can never take the slots other requests need;
//! - **CPU**: every sandbox of the tree charges its CPU time to the tree, and the tree's total is
//!   bounded by the root's CPU limit times `cpu_multiplier` (1: the root's `cpuMs` bounds the
//!   whole tree). Breaking it ends the sandbox that was running
//!   ([`Error::TreeCpuExceeded`](crate::Error::TreeCpuExceeded)).
//!
//! The tree travels with the call as a tokio task-local set around each nested call's future,
//! so whatever the supervisor's handler awaits inside it (another worker's `fetch`) joins it.

/// Longest chain of nested calls (service bindings and interception, A calls B calls C...) by
/// default ([`TreeLimits::max_depth`]): deeper calls are refused, which ends loops between
/// workers.
pub const MAX_SERVICE_DEPTH: u32 = 16;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Bounds on a request tree. Defaults: depth 16, 6 calls in flight per invocation (as
/// Cloudflare's simultaneous open connections), 32 sandboxes per tree, CPU multiplier 1, 25% of
/// the pool reserved for requests from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// Longest chain of nested calls (A calls B calls C...). The request from outside is depth 0.
    pub max_depth: u32,
    /// Service / intercepted calls one invocation runs at once; more wait in its queue.
    pub max_calls_in_flight: u32,
    /// Sandboxes one tree may hold at once (its root's included).
    pub max_instances: u32,
    /// The tree's CPU budget is the root's CPU limit times this.
    pub cpu_multiplier: u32,
    /// Percentage of the pool's capacity nested calls may not use (kept for requests from
    /// outside).
    pub pool_reserve_percent: u32,
}

impl Default for TreeLimits {
    fn default() -> Self {
        TreeLimits {
            max_depth: MAX_SERVICE_DEPTH,
            max_calls_in_flight: 6,
            max_instances: 32,
            cpu_multiplier: 1,
            pool_reserve_percent: 25,
        }
    }
}

/// The shared state of one request tree.
#[derive(Debug)]
pub(crate) struct RequestTree {
    pub limits: TreeLimits,
    /// CPU all of the tree's sandboxes may use together.
    pub cpu_budget: Duration,
    cpu_used_ns: AtomicU64,
    instances: AtomicU32,
    /// The tree delivers a tail (its invocations are not tailed in turn).
    tail: bool,
}

/// Where a call sits in its tree.
#[derive(Debug, Clone)]
pub(crate) struct TreeCtx {
    pub tree: Arc<RequestTree>,
    /// 0 for the request from outside.
    pub depth: u32,
    /// The invocation running with this context (set when it starts), whose nested calls name it
    /// as their `caller`.
    pub invocation: Option<u64>,
    /// The invocation that made this nested call (none for the request from outside): tail
    /// events show a child invocation under its parent.
    pub caller: Option<u64>,
}

tokio::task_local! {
    /// The tree (and depth) of the nested call being made on this task.
    static CURRENT: TreeCtx;
}

impl TreeCtx {
    /// The tree the caller's task belongs to, or a new one rooted here (a request from outside,
    /// whose CPU limit sets the tree's budget).
    pub(crate) fn current_or_root(limits: TreeLimits, root_cpu: Duration) -> TreeCtx {
        CURRENT
            .try_with(Clone::clone)
            .unwrap_or_else(|_| Self::root(limits, root_cpu, false))
    }

    fn root(limits: TreeLimits, root_cpu: Duration, tail: bool) -> TreeCtx {
        TreeCtx {
            tree: Arc::new(RequestTree {
                limits,
                cpu_budget: root_cpu.saturating_mul(limits.cpu_multiplier.max(1)),
                cpu_used_ns: AtomicU64::new(0),
                instances: AtomicU32::new(0),
                tail,
            }),
            depth: 0,
            invocation: None,
            caller: None,
        }
    }

    /// A tree for delivering a tail: its own budget, entered at depth 1 (a nested call: it may
    /// not take the pool's reserve).
    pub(crate) fn tail_delivery(limits: TreeLimits, cpu: Duration) -> TreeCtx {
        let root = Self::root(limits, cpu, true);
        TreeCtx { depth: 1, ..root }
    }

    /// Whether the task runs inside a tail delivery.
    pub(crate) fn delivering_tail() -> bool {
        CURRENT.try_with(|c| c.tree.tail).unwrap_or(false)
    }

    /// The context of a call made from here, or why it may not be made.
    pub(crate) fn child(&self) -> Result<TreeCtx, String> {
        let depth = self.depth + 1;
        if depth > self.tree.limits.max_depth {
            return Err(format!(
                "calls are nested more than {} deep (a worker calling itself, or a loop between workers?)",
                self.tree.limits.max_depth
            ));
        }
        Ok(TreeCtx {
            tree: self.tree.clone(),
            depth,
            invocation: None,
            caller: self.invocation,
        })
    }

    /// The invocation that made the nested call running on this task, if it is one.
    pub(crate) fn current_caller() -> Option<u64> {
        CURRENT.try_with(|c| c.caller).ok().flatten()
    }

    /// Run `fut` as part of this tree (what it calls joins the tree at this depth).
    pub(crate) async fn scope<F: std::future::Future>(self, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }
}

impl RequestTree {
    /// CPU charged to the tree so far (finished polls of every sandbox in it).
    pub(crate) fn cpu_used(&self) -> Duration {
        Duration::from_nanos(self.cpu_used_ns.load(Ordering::Relaxed))
    }

    pub(crate) fn charge(&self, ns: u64) {
        self.cpu_used_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Count one more sandbox held by the tree, or refuse.
    pub(crate) fn hold_instance(self: &Arc<Self>) -> Result<InstanceHold, String> {
        let max = self.limits.max_instances;
        let prev = self
            .instances
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            });
        match prev {
            Ok(_) => Ok(InstanceHold(self.clone())),
            Err(_) => Err(format!(
                "this request and the calls it made already hold {max} sandboxes (the limit per request tree)"
            )),
        }
    }
}

/// One sandbox counted against its tree until dropped.
#[derive(Debug)]
pub(crate) struct InstanceHold(Arc<RequestTree>);

impl Drop for InstanceHold {
    fn drop(&mut self) {
        self.0.instances.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn depth_and_instances_are_bounded_and_inherited() {
        let limits = TreeLimits {
            max_depth: 2,
            max_instances: 2,
            ..TreeLimits::default()
        };
        let root = TreeCtx::current_or_root(limits, Duration::from_millis(10));
        assert_eq!(root.depth, 0);
        assert_eq!(root.tree.cpu_budget, Duration::from_millis(10));
        let one = root.child().unwrap();
        let seen = one
            .clone()
            .scope(async { TreeCtx::current_or_root(limits, Duration::from_secs(9)) })
            .await;
        assert_eq!(seen.depth, 1);
        assert!(
            Arc::ptr_eq(&seen.tree, &root.tree),
            "a nested call joins the tree"
        );
        let two = seen.child().unwrap();
        assert!(two.child().unwrap_err().contains("nested more than 2 deep"));
        let a = root.tree.hold_instance().unwrap();
        let _b = root.tree.hold_instance().unwrap();
        assert!(root
            .tree
            .hold_instance()
            .unwrap_err()
            .contains("hold 2 sandboxes"));
        drop(a);
        root.tree.hold_instance().unwrap();
    }
}
