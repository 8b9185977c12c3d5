//! End-to-end tests of the crate API against the real engine component.

mod balancer;
mod basics;
mod bindings;
mod clock;
mod compile;
mod conformance;
mod errors;
mod limits;
mod loader;
mod modules;
mod npm;
mod npm_public;
mod observe;
mod openapi;
mod outbound;
mod replicas;
mod running;
mod serve;
mod serve_observe;
mod streaming;
mod tenants;
mod tower;
mod tree;
mod web_api;
mod web_platform;
mod worker_loader;
