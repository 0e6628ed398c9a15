// The companion of an `#[experimental_memo]` function warns at every call of `clear()` and
// `clear_entry(..)`. The function's own warning is allowed here, so only those two remain.
#![deny(deprecated)]

use fncache::experimental_memo;

#[allow(deprecated)]
#[experimental_memo]
fn double(x: u64) -> u64 {
    x * 2
}

fn main() {
    assert_eq!(double(2), 4);
    double::clear_entry(2);
    double::clear();
}
