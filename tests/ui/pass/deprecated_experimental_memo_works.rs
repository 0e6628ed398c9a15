// `#[experimental_memo]` with every `#[cache_data]` option still compiles and caches data:
// hits do not run the body, each hit is a fresh copy, and its companion still clears.
#![allow(deprecated)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fncache::experimental_memo;

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[experimental_memo(
    ttl = "1h",
    max_entries = 10,
    show_spinner = false,
    show_time = false,
    persist = false
)]
fn squares(n: u32, _label: &str) -> Vec<u32> {
    CALLS.fetch_add(1, SeqCst);
    (0..n).map(|i| i * i).collect()
}

#[experimental_memo]
fn checked(n: i32) -> Result<i32, String> {
    if n < 0 { Err("negative".into()) } else { Ok(n) }
}

fn main() {
    let mut first = squares(3, "a");
    first.push(99);
    assert_eq!(squares(3, "b"), [0, 1, 4]);
    assert_eq!(CALLS.load(SeqCst), 1);
    squares::clear_entry(3);
    assert_eq!(squares(3, "c"), [0, 1, 4]);
    assert_eq!(CALLS.load(SeqCst), 2);
    squares::clear();
    assert_eq!(squares::__fncache().len(), 0);

    assert_eq!(checked(-1), Err("negative".to_owned()));
    assert_eq!(checked::__fncache().len(), 0);
    assert_eq!(checked(4), Ok(4));
    assert_eq!(checked::__fncache().len(), 1);
}
