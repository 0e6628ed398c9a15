#![deny(missing_docs)]
//! A crate whose every item must be documented: the companion is documented too.

use fncache::cache_data;

/// The square of `x`.
///
/// Cached, with its doc comment, `#[must_use]` and `#[inline]` kept.
#[cache_data]
#[must_use]
#[inline]
#[allow(clippy::let_and_return)]
pub fn square(x: u32) -> u32 {
    let y = x * x;
    y
}

#[doc = "The cube of `x`."]
#[cache_data(max_entries = 10)]
#[cfg(not(any()))]
pub fn cube(x: u32) -> u32 {
    x * x * x
}

/// Runs the example.
fn main() {
    assert_eq!(square(3), 9);
    assert_eq!(cube(2), 8);
    assert_eq!(square::__fncache().len(), 1);
}
