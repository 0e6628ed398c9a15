//! Compile-time behaviour of the attributes: every accepted form compiles and runs
//! (`ui/pass`), every mistake is a compile error on the offending token (`ui/fail`, with the
//! expected compiler output in the `.stderr` next to each case).
//!
//! To regenerate the `.stderr` files after a deliberate change of a message:
//! `TRYBUILD=overwrite cargo test --test ui`, then read every changed file.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
