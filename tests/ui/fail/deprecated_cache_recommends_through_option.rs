// `#[cache]` decides on the `T` of `Option<T>`: here `i64`, data.
#![deny(deprecated)]

use fncache::cache;

#[cache]
fn parse(text: String) -> Option<i64> {
    text.parse().ok()
}

fn main() {
    assert_eq!(parse("12".into()), Some(12));
}
