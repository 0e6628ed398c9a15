// Regression: `#[cache]`'s "unknown option" hint said `show_time` belonged to
// `#[cache_resource]` only, though `#[cache_data]` takes it too.
#![allow(deprecated)]

use fncache::cache;

#[cache(show_time = true)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
