// The deprecation warning is rustc's `deprecated` lint: `#[allow(deprecated)]` on one function
// silences it under a crate-wide `#![deny(deprecated)]`. `#[cache]`'s companion does not warn:
// `f::clear()` is new API, and the function's own warning already says what to change.
#![deny(deprecated)]

use fncache::cache;

#[allow(deprecated)]
#[cache(max_entries = 1)]
fn label(n: u8) -> String {
    n.to_string()
}

fn main() {
    assert_eq!(label(1), "1");
    label::clear_entry(1);
    label::clear();
    assert_eq!(label::__fncache().len(), 0);
}
