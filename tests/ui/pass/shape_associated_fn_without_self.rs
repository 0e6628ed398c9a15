// An associated function that neither takes `self` nor mentions `Self` works like a free
// function (issue 5: "Associated functions without `self` work like free functions"). An
// attribute sees only its function, so it is told with `associated = true`; one that mentions
// `Self` anywhere needs nothing (see methods.rs).
use fncache::{cache_data, cache_of};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static RUNS: AtomicUsize = AtomicUsize::new(0);

struct Math;

impl Math {
    #[cache_data(associated = true)]
    fn double(x: u32) -> u32 {
        RUNS.fetch_add(1, SeqCst);
        x * 2
    }
}

fn main() {
    assert_eq!(Math::double(2), 4);
    assert_eq!(Math::double(2), 4);
    assert_eq!(RUNS.load(SeqCst), 1);
    cache_of(Math::double).clear();
    assert_eq!(Math::double(2), 4);
    assert_eq!(RUNS.load(SeqCst), 2, "cache_of(Math::double).clear() reached its cache");
}
