//! The lifecycle under concurrency: hooks and drops that cannot hang a key, recursion that
//! cannot wait for itself, waiters that free what they hold when they give up.
//!
//! Every test that could hang runs its scenario under [`watchdog`]: a hang fails the test
//! after a generous limit instead of stalling the suite (the stuck threads are left behind).
//! Tests that advance the shared clock take [`common::serial`].

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use common::{Gate, serial};
use fncache::clock::advance;
use fncache::{cache_data, cache_resource};

const DAY: Duration = Duration::from_secs(86_400);

/// Runs `scenario` on a thread of its own and fails the test if it has not returned within a
/// limit far beyond what it needs (milliseconds): the form every hang shows up in here.
fn watchdog<R: Send + 'static>(what: &str, scenario: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(scenario());
    });
    match finished.recv_timeout(Duration::from_secs(30)) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung (no result in 30 s)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the scenario panicked"),
    }
}

// on_release runs after the waiters of the key being stored were woken, and holding nothing.

/// `evicting`'s `on_release`: waits until a caller that was waiting for key 1 has its value.
fn wait_for_the_waiter_of_key_one(_: &u32) {
    WAITER_OF_KEY_ONE_DONE.wait_entered(1);
}

static EVICTING_BODY: Gate = Gate::new();
static WAITER_OF_KEY_ONE_DONE: Gate = Gate::new();

#[cache_resource(max_entries = 1, on_release = wait_for_the_waiter_of_key_one)]
fn evicting(key: u32) -> u32 {
    if key == 1 {
        EVICTING_BODY.pass();
    }
    key
}

#[test]
fn on_release_of_an_evicted_value_that_waits_for_a_waiter_of_the_stored_key_does_not_hang() {
    let _ = evicting(0);
    let owner = thread::spawn(|| *evicting(1)); // stores 1, evicts 0: on_release(0) runs
    EVICTING_BODY.wait_entered(1);
    let waiter = thread::spawn(|| {
        let value = *evicting(1);
        WAITER_OF_KEY_ONE_DONE.arrive();
        value
    });
    // The waiter is given time to start waiting; if it comes later it hits instead, and the
    // test checks the same thing less sharply.
    thread::sleep(Duration::from_millis(50));
    EVICTING_BODY.open();
    let values = watchdog("an eviction's on_release", move || {
        (owner.join().unwrap(), waiter.join().unwrap())
    });
    assert_eq!(values, (1, 1));
}

fn call_key_one_of_expiring(_: &u32) {
    thread::spawn(|| *expiring(1)).join().unwrap();
}

#[cache_resource(ttl = "1h", on_release = call_key_one_of_expiring)]
fn expiring(key: u32) -> u32 {
    key
}

#[test]
fn on_release_of_an_expired_value_that_calls_its_key_does_not_hang() {
    let _serial = serial();
    let _ = expiring(1);
    advance(DAY);
    let value = watchdog("an expiry's on_release", || *expiring(1));
    assert_eq!(value, 1);
}

/// A waiter of the key being stored is not kept waiting for an unrelated value's release.
static SLOW_RELEASE_STARTED: Gate = Gate::new();
static SLOW_RELEASE_MAY_END: Gate = Gate::new();

fn slow_release(_: &u32) {
    SLOW_RELEASE_STARTED.arrive();
    SLOW_RELEASE_MAY_END.pass();
}

static HELD_BODY: Gate = Gate::new();

#[cache_resource(max_entries = 1, on_release = slow_release)]
fn held_body(key: u32) -> u32 {
    if key == 1 {
        HELD_BODY.pass();
    }
    key
}

#[test]
fn waiters_of_a_stored_key_are_woken_before_evicted_values_are_released() {
    let _ = held_body(0);
    let owner = thread::spawn(|| *held_body(1));
    HELD_BODY.wait_entered(1);
    let waiter = thread::spawn(|| *held_body(1));
    // The waiter is given time to start waiting; if it comes later it hits instead, and the
    // test checks the same thing less sharply.
    thread::sleep(Duration::from_millis(50));
    HELD_BODY.open();
    SLOW_RELEASE_STARTED.wait_entered(1); // the owner is inside on_release(0) now
    let waited = watchdog("a waiter behind an on_release", move || {
        waiter.join().unwrap()
    });
    assert_eq!(waited, 1);
    SLOW_RELEASE_MAY_END.open();
    assert_eq!(owner.join().unwrap(), 1);
}

// A panicking `Drop` of a value the cache lets go of is caught like a panicking on_release.

static DROPS_PANIC: AtomicBool = AtomicBool::new(true);
static DROPS: AtomicUsize = AtomicUsize::new(0);

struct PanicsOnDrop(u32);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        DROPS.fetch_add(1, SeqCst);
        if DROPS_PANIC.load(SeqCst) && !thread::panicking() {
            panic!("PanicsOnDrop({}) dropped", self.0);
        }
    }
}

#[cache_resource(ttl = "1h")]
fn expiring_panicky(key: u32) -> PanicsOnDrop {
    PanicsOnDrop(key)
}

#[test]
fn a_panicking_drop_of_an_expired_value_leaves_its_key_usable() {
    let _serial = serial();
    drop(expiring_panicky(7));
    advance(DAY);
    let later = watchdog("calls after a panicking drop on expiry", || {
        let first = expiring_panicky(7).0; // the expired value is dropped here, and panics
        let second = expiring_panicky(7).0;
        (first, second)
    });
    assert_eq!(later, (7, 7));
}

static PANICKY_BODY: Gate = Gate::new();

#[cache_resource(max_entries = 1)]
fn evicting_panicky(key: u32) -> PanicsOnDrop {
    if key == 1 {
        PANICKY_BODY.pass();
    }
    PanicsOnDrop(key)
}

#[test]
fn a_panicking_drop_of_an_evicted_value_wakes_the_waiters() {
    drop(evicting_panicky(0));
    let owner = thread::spawn(|| evicting_panicky(1).0);
    PANICKY_BODY.wait_entered(1);
    let waiter = thread::spawn(|| evicting_panicky(1).0);
    thread::sleep(Duration::from_millis(50)); // as above: a late waiter hits instead
    PANICKY_BODY.open();
    let (owned, waited) = watchdog("a waiter behind a panicking drop", move || {
        (owner.join().unwrap(), waiter.join().unwrap())
    });
    assert_eq!((owned, waited), (1, 1));
    assert_eq!(evicting_panicky(1).0, 1, "the key is still usable");
}

// Recursion: an async computation never waits for itself; threads never wait in a circle.

#[cache_data]
async fn async_self_recursive(n: u64, _depth: u32) -> u64 {
    if _depth == 0 {
        n
    } else {
        let inner: Pin<Box<dyn Future<Output = u64>>> =
            Box::pin(async_self_recursive(n, _depth - 1));
        inner.await + 1
    }
}

#[test]
fn an_async_fn_that_awaits_itself_with_the_same_key_does_not_hang() {
    let value = watchdog("async self-recursion", || {
        futures_executor::block_on(async_self_recursive(5, 3))
    });
    assert_eq!(value, 8, "what the plain function returns");
    let on_tokio = watchdog("async self-recursion on tokio", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        runtime.block_on(async_self_recursive(6, 2))
    });
    assert_eq!(on_tokio, 8);
}

static BOTH_INSIDE: Barrier = Barrier::new(2);

#[cache_data]
fn ping(x: u32, _depth: u32) -> u32 {
    if _depth == 2 {
        BOTH_INSIDE.wait(); // `pong(x, 2)` is being computed on the other thread now
    }
    if _depth == 0 { x } else { pong(x, _depth - 1) }
}

#[cache_data]
fn pong(x: u32, _depth: u32) -> u32 {
    if _depth == 2 {
        BOTH_INSIDE.wait();
    }
    if _depth == 0 { x } else { ping(x, _depth - 1) }
}

#[test]
fn two_cached_functions_calling_each_other_from_two_threads_do_not_deadlock() {
    let results = watchdog("mutual recursion from both ends", || {
        let a = thread::spawn(|| ping(1, 2));
        let b = thread::spawn(|| pong(1, 2));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(results, (1, 1));
}

// A waiter that gives up frees its waker at once.

struct CountedWaker;

impl Wake for CountedWaker {
    fn wake(self: Arc<Self>) {}
}

static NEVER_ENDS: Gate = Gate::new();

#[cache_data]
async fn slow_async(key: u32) -> u32 {
    std::future::poll_fn(|_| {
        if NEVER_ENDS.is_open() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    key
}

fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn async_waiters_that_give_up_free_their_wakers_at_once() {
    let owner_waker = Waker::from(Arc::new(CountedWaker));
    let mut owner = Box::pin(slow_async(9));
    assert!(poll_once(owner.as_mut(), &owner_waker).is_pending());

    let counted = Arc::new(CountedWaker);
    let waker = Waker::from(counted.clone());
    for _ in 0..10_000 {
        let mut waiter = Box::pin(slow_async(9));
        assert!(poll_once(waiter.as_mut(), &waker).is_pending());
    }
    assert_eq!(
        Arc::strong_count(&counted),
        2,
        "every dropped waiter let go of its waker"
    );
    NEVER_ENDS.open();
    assert_eq!(poll_once(owner.as_mut(), &owner_waker), Poll::Ready(9));
}
