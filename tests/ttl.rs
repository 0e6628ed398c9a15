//! `ttl`: an entry lives from when it is stored, reads do not extend it, every accepted form of
//! the option, expired entries are reclaimed without their key being called again.
//!
//! No test sleeps: `fncache::clock::advance` moves the cache clock of the whole process, so
//! every test here takes [`common::serial`] and none is disturbed by another's advance. Margins
//! are wide (minutes against a real run of microseconds), so a slow machine cannot matter.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{lock, serial};
use fncache::clock::advance;
use fncache::{cache_data, cache_resource};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// One counter per function, so each test reads its own.
macro_rules! counted {
    ($(#[$attr:meta])* fn $name:ident($arg:ident: u32) -> u32 = $counter:ident) => {
        static $counter: AtomicUsize = AtomicUsize::new(0);
        $(#[$attr])*
        fn $name($arg: u32) -> u32 {
            $counter.fetch_add(1, SeqCst);
            $arg
        }
    };
}

counted!(#[cache_data(ttl = "1h")] fn hourly(x: u32) -> u32 = HOURLY_CALLS);

#[test]
fn an_entry_is_returned_before_its_ttl_and_recomputed_after() {
    let _serial = serial();
    assert_eq!(hourly(1), 1);
    advance(30 * MINUTE);
    assert_eq!(hourly(1), 1);
    assert_eq!(
        HOURLY_CALLS.load(SeqCst),
        1,
        "30 minutes into a 1 hour ttl: a hit"
    );
    advance(31 * MINUTE);
    assert_eq!(hourly(1), 1);
    assert_eq!(
        HOURLY_CALLS.load(SeqCst),
        2,
        "61 minutes: expired, recomputed"
    );
    assert_eq!(hourly(1), 1);
    assert_eq!(HOURLY_CALLS.load(SeqCst), 2, "the new value is cached anew");
}

counted!(#[cache_data(ttl = "1h")] fn read_often(x: u32) -> u32 = READ_OFTEN_CALLS);

#[test]
fn reads_do_not_extend_the_ttl() {
    let _serial = serial();
    read_often(1);
    for _ in 0..5 {
        advance(10 * MINUTE);
        read_often(1);
    }
    assert_eq!(READ_OFTEN_CALLS.load(SeqCst), 1, "50 minutes of hits");
    advance(11 * MINUTE);
    read_often(1);
    assert_eq!(
        READ_OFTEN_CALLS.load(SeqCst),
        2,
        "61 minutes after it was stored, the entry expired despite the reads"
    );
}

// ---------------------------------------------------------------------------------------------
// Every form of the option: each function is checked well before and well after its ttl.

const TWO_MINUTES: Duration = Duration::from_secs(120);

counted!(#[cache_data(ttl = 60)] fn ttl_int(x: u32) -> u32 = TTL_INT_CALLS);
counted!(#[cache_data(ttl = 90.5)] fn ttl_float(x: u32) -> u32 = TTL_FLOAT_CALLS);
counted!(#[cache_data(ttl = 0.5)] fn ttl_half_second(x: u32) -> u32 = TTL_HALF_CALLS);
counted!(#[cache_data(ttl = "45s")] fn ttl_seconds(x: u32) -> u32 = TTL_SECONDS_CALLS);
counted!(#[cache_data(ttl = "30m")] fn ttl_minutes(x: u32) -> u32 = TTL_MINUTES_CALLS);
counted!(#[cache_data(ttl = "1h 30m")] fn ttl_compound(x: u32) -> u32 = TTL_COMPOUND_CALLS);
counted!(#[cache_data(ttl = "1d2h34m")] fn ttl_packed(x: u32) -> u32 = TTL_PACKED_CALLS);
counted!(#[cache_data(ttl = "2 days")] fn ttl_days(x: u32) -> u32 = TTL_DAYS_CALLS);
counted!(#[cache_data(ttl = "100ms")] fn ttl_millis(x: u32) -> u32 = TTL_MILLIS_CALLS);
counted!(#[cache_data(ttl = Duration::from_secs(90))] fn ttl_expr(x: u32) -> u32 = TTL_EXPR_CALLS);
counted!(#[cache_data(ttl = TWO_MINUTES)] fn ttl_const(x: u32) -> u32 = TTL_CONST_CALLS);
counted!(#[cache_data(ttl = MINUTE * 3)] fn ttl_arith(x: u32) -> u32 = TTL_ARITH_CALLS);

/// Calls `f` once, again after `before` (a hit), then again after a further `after` (a miss).
fn check_ttl(f: fn(u32) -> u32, calls: &AtomicUsize, before: Duration, after: Duration) {
    f(7);
    advance(before);
    f(7);
    assert_eq!(calls.load(SeqCst), 1, "a hit {before:?} after storing");
    advance(after);
    f(7);
    assert_eq!(
        calls.load(SeqCst),
        2,
        "a miss {:?} after storing",
        before + after
    );
}

#[test]
fn ttl_as_an_integer_number_of_seconds() {
    let _serial = serial();
    check_ttl(ttl_int, &TTL_INT_CALLS, Duration::from_secs(30), MINUTE);
}

#[test]
fn ttl_as_a_float_number_of_seconds() {
    let _serial = serial();
    check_ttl(ttl_float, &TTL_FLOAT_CALLS, MINUTE, MINUTE);
}

#[test]
fn ttl_below_a_second() {
    let _serial = serial();
    // Only the expiry is checked: a hit within half a second would be a timing assumption.
    for (f, calls) in [
        (ttl_half_second as fn(u32) -> u32, &TTL_HALF_CALLS),
        (ttl_millis, &TTL_MILLIS_CALLS),
    ] {
        f(7);
        advance(Duration::from_secs(1));
        f(7);
        assert_eq!(calls.load(SeqCst), 2, "expired after one second");
    }
}

#[test]
fn ttl_as_duration_strings() {
    let _serial = serial();
    check_ttl(
        ttl_seconds,
        &TTL_SECONDS_CALLS,
        Duration::from_secs(20),
        MINUTE,
    );
    check_ttl(ttl_minutes, &TTL_MINUTES_CALLS, 15 * MINUTE, 20 * MINUTE);
    check_ttl(ttl_compound, &TTL_COMPOUND_CALLS, 80 * MINUTE, 20 * MINUTE);
    check_ttl(ttl_packed, &TTL_PACKED_CALLS, DAY + 2 * HOUR, HOUR);
    check_ttl(ttl_days, &TTL_DAYS_CALLS, DAY + 20 * HOUR, 8 * HOUR);
}

#[test]
fn ttl_as_a_duration_expression_and_a_const() {
    let _serial = serial();
    check_ttl(ttl_expr, &TTL_EXPR_CALLS, Duration::from_secs(45), MINUTE);
    check_ttl(ttl_const, &TTL_CONST_CALLS, MINUTE, MINUTE + MINUTE / 2);
    check_ttl(ttl_arith, &TTL_ARITH_CALLS, 2 * MINUTE, 2 * MINUTE);
}

// ---------------------------------------------------------------------------------------------
// Expired entries are reclaimed without their own key being called again.

counted!(#[cache_data(ttl = 60)] fn never_repeats(x: u32) -> u32 = NEVER_REPEATS_CALLS);

#[test]
fn expired_entries_are_reclaimed_when_another_key_is_stored() {
    let _serial = serial();
    for k in 0..100 {
        never_repeats(k);
    }
    assert_eq!(never_repeats::__fncache().len(), 100);
    advance(2 * MINUTE);
    never_repeats(1000);
    assert_eq!(
        never_repeats::__fncache().len(),
        1,
        "the 100 expired entries must be swept by the next insert"
    );
    assert_eq!(NEVER_REPEATS_CALLS.load(SeqCst), 101);
}

counted!(#[cache_data(ttl = 60)] fn stream(x: u32) -> u32 = STREAM_CALLS);

#[test]
fn a_cache_whose_keys_never_repeat_holds_one_ttl_of_writes() {
    let _serial = serial();
    let mut largest = 0;
    for k in 0..1000 {
        stream(k);
        advance(Duration::from_secs(1));
        largest = largest.max(stream::__fncache().len());
    }
    assert!(
        largest <= 61,
        "one write per second with a 60 s ttl held {largest} entries"
    );
    assert!(largest >= 59, "entries within the ttl are kept: {largest}");
}

/// A value that records which one it is.
struct Handle(u32);

static SWEPT_RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[cache_resource(ttl = 60, on_release = |h: &Handle| lock(&SWEPT_RELEASED).push(h.0))]
fn swept(k: u32) -> Handle {
    Handle(k)
}

#[test]
fn expired_resources_are_released_when_another_key_is_stored() {
    let _serial = serial();
    for k in 0..10 {
        swept(k);
    }
    advance(2 * MINUTE);
    assert!(
        lock(&SWEPT_RELEASED).is_empty(),
        "nothing is released early"
    );
    swept(100);
    let mut released = lock(&SWEPT_RELEASED).clone();
    released.sort_unstable();
    assert_eq!(released, (0..10).collect::<Vec<_>>(), "each released once");
    assert_eq!(swept::__fncache().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Resources expire too; ttl together with max_entries releases each value once.

static RESOURCE_CALLS: AtomicUsize = AtomicUsize::new(0);
static RESOURCE_RELEASED: AtomicUsize = AtomicUsize::new(0);

#[cache_resource(ttl = "10m", on_release = |_: &Handle| { RESOURCE_RELEASED.fetch_add(1, SeqCst); })]
fn short_lived(k: u32) -> Handle {
    RESOURCE_CALLS.fetch_add(1, SeqCst);
    Handle(k)
}

#[test]
fn a_resource_is_shared_before_its_ttl_and_recomputed_after() {
    let _serial = serial();
    let first = short_lived(1);
    advance(5 * MINUTE);
    assert!(Arc::ptr_eq(&first, &short_lived(1)));
    assert_eq!(RESOURCE_CALLS.load(SeqCst), 1);
    advance(6 * MINUTE);
    let second = short_lived(1);
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(RESOURCE_CALLS.load(SeqCst), 2);
    assert_eq!(RESOURCE_RELEASED.load(SeqCst), 1);
    assert_eq!(first.0, 1, "a caller's Arc outlives the entry");
}

static BOTH_RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[cache_resource(ttl = 60, max_entries = 2, on_release = |h: &Handle| lock(&BOTH_RELEASED).push(h.0))]
fn bounded_twice(k: u32) -> Handle {
    Handle(k)
}

fn both_released() -> Vec<u32> {
    let mut released = lock(&BOTH_RELEASED).clone();
    released.sort_unstable();
    released
}

#[test]
fn ttl_and_max_entries_together_release_each_value_once() {
    let _serial = serial();
    bounded_twice(1);
    bounded_twice(2);
    bounded_twice(3); // evicts 1
    assert_eq!(both_released(), [1]);
    advance(2 * MINUTE);
    bounded_twice(4); // sweeps 2 and 3; 1 is gone already
    assert_eq!(both_released(), [1, 2, 3]);
    assert_eq!(bounded_twice::__fncache().len(), 1);
    bounded_twice::clear_entry(4);
    bounded_twice(4); // stored again under the same key
    advance(2 * MINUTE);
    bounded_twice(5); // sweeps the second 4 only
    assert_eq!(both_released(), [1, 2, 3, 4, 4]);
    bounded_twice::clear();
    assert_eq!(both_released(), [1, 2, 3, 4, 4, 5]);
}
