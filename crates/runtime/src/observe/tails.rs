//! Tails of a Worker Loader's children (`WorkerCode.tails`): after each invocation of a worker
//! that has tails, its trace item ([`Trace::trace_item`](crate::Trace::trace_item)) goes to
//! `tail([item])` on each, in the background, as on Cloudflare.
//!
//! A delivery is its own request (not a nested call of the traced one): it runs in a tree of its
//! own at depth 1, so it may not take the pool's reserve, and nothing invoked while delivering a
//! tail is tailed in turn (no loops). At most [`MAX_TAIL_DELIVERIES`] run at once per loader
//! and [`MAX_TAIL_DELIVERIES_PER_ACCOUNT`] per metering account (one tenant's slow tail cannot
//! take the others' deliveries); beyond, a delivery is dropped and counted in
//! `sandbox_tail_dropped_total`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::host::services::Service;
use crate::tree::{TreeCtx, TreeLimits};

/// Tail deliveries in flight at once, per loader.
pub const MAX_TAIL_DELIVERIES: usize = 64;
/// Tail deliveries in flight at once, per metering account (anonymous workers share one).
pub const MAX_TAIL_DELIVERIES_PER_ACCOUNT: usize = 8;

/// The loader's tail deliveries in flight.
#[derive(Default)]
pub(crate) struct TailQueue {
    in_flight: Arc<Mutex<InFlight>>,
}

#[derive(Default)]
struct InFlight {
    total: usize,
    by_account: HashMap<Arc<str>, usize>,
}

/// One delivery's place in the queue, given back when dropped.
struct Slot {
    in_flight: Arc<Mutex<InFlight>>,
    account: Arc<str>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut f = self.in_flight.lock().unwrap();
        f.total -= 1;
        if let Some(n) = f.by_account.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                f.by_account.remove(&self.account);
            }
        }
    }
}

impl TailQueue {
    fn slot(&self, account: &Arc<str>) -> Option<Slot> {
        let mut f = self.in_flight.lock().unwrap();
        let mine = f.by_account.get(account).copied().unwrap_or(0);
        if f.total >= MAX_TAIL_DELIVERIES || mine >= MAX_TAIL_DELIVERIES_PER_ACCOUNT {
            return None;
        }
        f.total += 1;
        *f.by_account.entry(account.clone()).or_default() += 1;
        Some(Slot {
            in_flight: self.in_flight.clone(),
            account: account.clone(),
        })
    }

    /// Send `item` to each of `tails` in the background (`cpu`: the delivery tree's CPU budget).
    /// Nothing is sent from inside a delivery.
    pub(crate) fn deliver(
        &self,
        account: Option<&Arc<str>>,
        tails: &[Arc<dyn Service>],
        item: Value,
        limits: TreeLimits,
        cpu: Duration,
    ) {
        if TreeCtx::delivering_tail() {
            return;
        }
        let account: Arc<str> = account.cloned().unwrap_or_else(|| Arc::from(""));
        for tail in tails {
            let Some(slot) = self.slot(&account) else {
                metrics::counter!("sandbox_tail_dropped_total").increment(1);
                tracing::warn!("tail delivery dropped: too many in flight");
                continue;
            };
            let (tail, events) = (tail.clone(), Value::Array(vec![item.clone()]));
            let tree = TreeCtx::tail_delivery(limits, cpu);
            tokio::spawn(async move {
                let _slot = slot;
                let result = tree.scope(tail.call("tail".into(), vec![events])).await;
                if let Err(e) = result {
                    metrics::counter!("sandbox_tail_failed_total").increment(1);
                    tracing::warn!(error = %e, "tail delivery failed");
                }
            });
        }
    }

    /// Deliveries in flight now.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_bounded_per_account_and_in_all() {
        let q = TailQueue::default();
        let a: Arc<str> = Arc::from("a");
        let mut held: Vec<Slot> = (0..MAX_TAIL_DELIVERIES_PER_ACCOUNT)
            .map(|_| q.slot(&a).expect("within the account's share"))
            .collect();
        assert!(q.slot(&a).is_none(), "one account past its share");
        // Other accounts still get theirs, until the loader-wide bound.
        let mut n = 0;
        while let Some(s) = q.slot(&Arc::from(format!(
            "t{}",
            n / MAX_TAIL_DELIVERIES_PER_ACCOUNT
        ))) {
            held.push(s);
            n += 1;
        }
        assert_eq!(q.in_flight(), MAX_TAIL_DELIVERIES);
        held.truncate(1);
        assert_eq!(q.in_flight(), 1);
        assert!(q.slot(&a).is_some(), "slots come back when deliveries end");
    }
}
