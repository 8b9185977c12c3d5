//! The worker registry: named workers in the store (`[store]`: an embedded redb file under the
//! data dir, or a Postgres shared by replicas), so they survive a restart.

pub(crate) use wasm_sandbox_spec::ids::check_id;
pub(crate) use wasm_sandbox_store::{Registered, Registry, TooMany};
