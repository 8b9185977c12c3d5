//! Shared pieces of the benches (kept out of the bench binaries so both benches and the
//! side-by-side harness can use them).

/// The seed script: the smallest useful worker.
pub const HELLO: &str =
    r#"export default { fetch() { return new Response("Hello from a dynamic Worker!"); } };"#;

/// A script that is never the same twice (defeats any caching keyed by source).
pub fn unique_script(n: u64) -> String {
    format!(
        r#"const ID = {n};
export default {{ fetch(request) {{ return new Response("Hello from a dynamic Worker! " + ID); }} }};"#
    )
}
