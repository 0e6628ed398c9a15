// `#[cache]`'s hint for an option only `#[cache_resource]` takes names that attribute alone.
#![allow(deprecated)]

use fncache::cache;

#[cache(weigh = std::mem::size_of_val)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
