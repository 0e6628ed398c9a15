// The companion of an `#[experimental_singleton]` function warns at every call of `clear()`
// and `clear_entry(..)`, naming `#[cache_resource]`.
#![deny(deprecated)]

use fncache::experimental_singleton;

#[allow(deprecated)]
#[experimental_singleton]
fn pool(url: String) -> Vec<String> {
    vec![url]
}

fn main() {
    assert_eq!(*pool("db".into()), ["db"]);
    pool::clear_entry("db".into());
    pool::clear();
}
