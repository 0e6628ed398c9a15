//! Deep memoized recursion: each level of a memoized recursion runs through the cache's miss
//! path, and must not overflow a stack the plain function fits in.
//!
//! `.ci/run` runs this file in release too (`cargo test --release --test recursion`).

use fncache::{cache_data, cache_resource};

/// The depth the issue asks for: a memoized recursion of 100k levels.
const LEVELS: u64 = 100_000;

/// The main thread's stack on Linux, which a program's `main` recursion gets.
const MAIN_STACK: usize = 8 << 20;

#[cache_data(show_spinner = false)]
fn depth(n: u64) -> u64 {
    if n == 0 { 0 } else { depth(n - 1) + 1 }
}

#[cache_resource(show_spinner = false)]
fn chain(n: u64) -> u64 {
    if n == 0 { 0 } else { *chain(n - 1) + 1 }
}

#[cache_data(max_entries = 1000, show_spinner = false)]
fn bounded_depth(n: u64) -> u64 {
    if n == 0 { 0 } else { bounded_depth(n - 1) + 1 }
}

fn on_main_sized_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(MAIN_STACK)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("the recursion completed without overflowing")
}

#[test]
fn a_memoized_recursion_of_100k_levels_fits_an_8_mib_stack() {
    assert_eq!(on_main_sized_stack(|| depth(LEVELS)), LEVELS);
    assert_eq!(depth::__fncache().len() as u64, LEVELS + 1);
    assert_eq!(depth(LEVELS - 1), LEVELS - 1, "every level is cached");
}

#[test]
fn a_resource_recursion_of_100k_levels_fits_an_8_mib_stack() {
    assert_eq!(on_main_sized_stack(|| *chain(LEVELS)), LEVELS);
}

#[test]
fn a_bounded_recursion_of_100k_levels_fits_and_stays_bounded() {
    assert_eq!(on_main_sized_stack(|| bounded_depth(LEVELS)), LEVELS);
    assert_eq!(bounded_depth::__fncache().len(), 1000);
}

static FAIL_AT_BOTTOM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

#[cache_data(show_spinner = false)]
fn fragile(n: u64) -> u64 {
    if n == 0 {
        assert!(
            !FAIL_AT_BOTTOM.swap(false, std::sync::atomic::Ordering::SeqCst),
            "the bottom level fails the first time"
        );
        0
    } else {
        fragile(n - 1) + 1
    }
}

/// A panic at the bottom of a deep recursion unwinds through every stack segment the misses
/// grew, stores nothing on the way, and the next call computes afresh.
#[test]
fn a_panic_at_the_bottom_of_a_deep_recursion_unwinds_and_stores_nothing() {
    let first = on_main_sized_stack_result(|| fragile(LEVELS));
    assert!(first.is_err(), "the panic reached the top");
    assert_eq!(fragile::__fncache().len(), 0, "no level was stored");
    assert_eq!(on_main_sized_stack(|| fragile(LEVELS)), LEVELS);
}

fn on_main_sized_stack_result<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::Result<T> {
    std::thread::Builder::new()
        .stack_size(MAIN_STACK)
        .spawn(f)
        .expect("a thread")
        .join()
}
