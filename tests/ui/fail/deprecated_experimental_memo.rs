// `#[experimental_memo]` still caches, and warns once, on the attribute, naming `#[cache_data]`.
#![deny(deprecated)]

use fncache::experimental_memo;

#[experimental_memo(ttl = 60)]
fn squares(n: u32) -> Vec<u32> {
    (0..n).map(|i| i * i).collect()
}

fn main() {
    assert_eq!(squares(3), [0, 1, 4]);
}
