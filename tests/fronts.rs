//! The per-thread hit path ("fronts"): each thread serves repeat hits from its own view of a
//! cache, and every removal made anywhere (a clear, a `clear_entry`, a failed `validate`, an
//! expired ttl) must reach every thread's view before its next call.
//!
//! Each test runs the threads that hit a value and the thread that removes it apart, and
//! orders them by joining or by channels, never by time.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{lock, serial};
use fncache::{cache_data, cache_resource};

/// Runs `f` on a new thread and returns what it returned.
fn on_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|s| s.spawn(f).join().expect("the thread does not panic"))
}

type Job = Box<dyn FnOnce() -> Box<dyn std::any::Any + Send> + Send>;

/// One long-lived thread that runs what it is given, so that its view of a cache persists
/// from one call to the next.
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    results: mpsc::Receiver<Box<dyn std::any::Any + Send>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Worker {
    fn new() -> Self {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (tx, results) = mpsc::channel();
        let thread = thread::spawn(move || {
            for job in rx {
                tx.send(job()).expect("the test listens");
            }
        });
        Worker {
            jobs: Some(jobs),
            results,
            thread: Some(thread),
        }
    }

    fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let job: Job = Box::new(move || Box::new(f()));
        self.jobs
            .as_ref()
            .expect("running")
            .send(job)
            .expect("the worker runs");
        *self
            .results
            .recv()
            .expect("the worker does not panic")
            .downcast()
            .expect("the job's own type")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

static VERSION: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn versioned(x: u32) -> (u32, usize) {
    (x, VERSION.fetch_add(1, SeqCst))
}

static CLEARED_VERSION: AtomicUsize = AtomicUsize::new(0);

/// Used by one test only, as that test clears all of it.
#[cache_data]
fn cleared(x: u32) -> (u32, usize) {
    (x, CLEARED_VERSION.fetch_add(1, SeqCst))
}

#[test]
fn a_clear_on_one_thread_reaches_the_hits_of_another() {
    // A worker thread hits the value repeatedly (so its own view holds it), the main thread
    // clears, and the worker's next call must compute afresh.
    let (to_worker, worker_rx) = mpsc::channel::<()>();
    let (to_main, main_rx) = mpsc::channel::<(u32, usize)>();
    thread::scope(|s| {
        s.spawn(move || {
            for _ in worker_rx {
                let first = cleared(7);
                assert_eq!(cleared(7), first, "a repeat call is a hit");
                to_main.send(first).expect("main listens");
            }
        });
        to_worker.send(()).expect("worker listens");
        let before = main_rx.recv().expect("worker answers");
        cleared::clear();
        to_worker.send(()).expect("worker listens");
        let after = main_rx.recv().expect("worker answers");
        assert_ne!(after.1, before.1, "the worker recomputed after the clear");
        drop(to_worker);
    });
}

#[test]
fn clear_entry_reaches_other_threads_and_spares_other_keys() {
    let worker = Worker::new();
    let before = worker.run(|| (versioned(100), versioned(101)));
    assert_eq!(
        worker.run(|| (versioned(100), versioned(101))),
        before,
        "hits"
    );
    versioned::clear_entry(100);
    let (a, b) = worker.run(|| (versioned(100), versioned(101)));
    assert_ne!(a.1, before.0.1, "the cleared key is recomputed");
    assert_eq!(b, before.1, "the other key is still cached");
}

/// A resource that counts how many of its kind are alive.
struct Tracked {
    live: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

static LIVE: Mutex<Option<Arc<AtomicUsize>>> = Mutex::new(None);
static RELEASED: AtomicUsize = AtomicUsize::new(0);
static TRACKED_MADE: AtomicUsize = AtomicUsize::new(0);

fn live() -> Arc<AtomicUsize> {
    lock(&LIVE)
        .get_or_insert_with(|| Arc::new(AtomicUsize::new(0)))
        .clone()
}

#[cache_resource(on_release = |_: &Tracked| { RELEASED.fetch_add(1, SeqCst); })]
fn tracked(_key: u32) -> Tracked {
    TRACKED_MADE.fetch_add(1, SeqCst);
    let live = live();
    live.fetch_add(1, SeqCst);
    Tracked { live }
}

#[test]
fn a_thread_that_hit_a_resource_does_not_keep_it_alive_after_a_clear() {
    let live = live();
    on_thread(|| {
        let a = tracked(1);
        let b = tracked(1);
        assert!(Arc::ptr_eq(&a, &b), "the second call is a hit");
    });
    let made = TRACKED_MADE.load(SeqCst);
    // The worker thread is gone, but even a living one holds no strong reference: its view
    // is weak. After the clear, nothing but the cache held the value, so it is dropped.
    let released = RELEASED.load(SeqCst);
    let worker_alive = thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let worker = s.spawn(move || {
            drop(tracked(1)); // fills this thread's view, then keeps the thread alive
            done_tx.send(()).expect("main listens");
            rx.recv().ok();
        });
        done_rx.recv().expect("worker hit the value");
        tracked::clear();
        let alive = live.load(SeqCst);
        tx.send(()).expect("worker listens");
        worker.join().expect("the worker does not panic");
        alive
    });
    assert_eq!(RELEASED.load(SeqCst), released + 1, "released once");
    assert_eq!(
        worker_alive, 0,
        "dropped while a thread that hit it still runs"
    );
    drop(tracked(1));
    assert_eq!(
        TRACKED_MADE.load(SeqCst),
        made + 1,
        "computed anew after the clear"
    );
}

static HEALTHY: AtomicBool = AtomicBool::new(true);
static CONNECTS: AtomicUsize = AtomicUsize::new(0);
static CLOSED: AtomicUsize = AtomicUsize::new(0);

#[cache_resource(
    validate = |_: &usize| HEALTHY.load(SeqCst),
    on_release = |_: &usize| { CLOSED.fetch_add(1, SeqCst); },
)]
fn connection(_url: u32) -> usize {
    CONNECTS.fetch_add(1, SeqCst)
}

#[test]
fn a_failed_validate_on_a_repeat_hit_replaces_the_value_for_every_thread() {
    HEALTHY.store(true, SeqCst);
    let first = *connection(5);
    assert_eq!(*connection(5), first, "a repeat hit (this thread's view)");
    assert_eq!(
        on_thread(|| *connection(5)),
        first,
        "a hit on another thread"
    );
    let closed = CLOSED.load(SeqCst);

    HEALTHY.store(false, SeqCst);
    let replaced = *connection(5);
    HEALTHY.store(true, SeqCst);
    assert_ne!(replaced, first, "recomputed");
    assert_eq!(
        CLOSED.load(SeqCst),
        closed + 1,
        "the broken one released once"
    );
    assert_eq!(
        on_thread(|| *connection(5)),
        replaced,
        "others see the new one"
    );
    assert_eq!(*connection(5), replaced);
    assert_eq!(CLOSED.load(SeqCst), closed + 1);
}

static TICKS: AtomicUsize = AtomicUsize::new(0);

#[cache_data(ttl = "10s")]
fn ticking(x: u32) -> (u32, usize) {
    (x, TICKS.fetch_add(1, SeqCst))
}

#[test]
fn an_expired_value_is_not_served_from_a_thread_view() {
    let _serial = serial();
    let worker = Worker::new();
    let first = ticking(1);
    assert_eq!(ticking(1), first, "a repeat hit");
    assert_eq!(worker.run(|| (ticking(1), ticking(1))), (first, first));
    // The clock is real time plus what tests advanced: margins of seconds on either side.
    fncache::clock::advance(Duration::from_secs(5));
    assert_eq!(ticking(1), first, "still fresh");
    assert_eq!(worker.run(|| ticking(1)), first);
    fncache::clock::advance(Duration::from_secs(5));
    let later = worker.run(|| ticking(1));
    assert_ne!(later.1, first.1, "expired: recomputed");
    assert_eq!(ticking(1), later, "this thread sees the new value too");
}

static WIDE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn wide(x: u64) -> u64 {
    WIDE_CALLS.fetch_add(1, SeqCst);
    x * 3
}

#[test]
fn many_threads_over_many_keys_compute_each_key_once_and_see_only_their_values() {
    // More keys than one thread's view holds, so views start over while other threads hit.
    const KEYS: u64 = 5000;
    let before = WIDE_CALLS.load(SeqCst);
    thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for round in 0..3 {
                    for i in 0..KEYS {
                        let x = (i * 7 + t * 13 + round) % KEYS;
                        assert_eq!(wide(x), x * 3);
                    }
                }
            });
        }
    });
    assert_eq!(
        WIDE_CALLS.load(SeqCst),
        before + KEYS as usize,
        "one computation per key"
    );
}

static INNER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn inner(x: u32) -> u32 {
    INNER_CALLS.fetch_add(1, SeqCst);
    x + 1
}

/// A value whose decoding calls a cached function: a hit decodes it while the thread's view
/// is in use, and the nested call must still work (and be a hit itself).
#[derive(PartialEq, Debug, serde::Serialize)]
struct Nested(u32);

impl<'de> serde::Deserialize<'de> for Nested {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = u32::deserialize(d)?;
        Ok(Nested(inner(x) - 1))
    }
}

#[cache_data]
fn outer(x: u32) -> Nested {
    Nested(x)
}

#[test]
fn decoding_a_hit_may_call_cached_functions() {
    let first = outer(3); // computed; stored after a decoding check, which calls inner(3)
    let calls = INNER_CALLS.load(SeqCst);
    for _ in 0..3 {
        assert_eq!(outer(3), first, "a hit, decoded through inner()");
    }
    assert_eq!(
        INNER_CALLS.load(SeqCst),
        calls,
        "inner's own hits, from inside a hit"
    );
    inner::clear();
    assert_eq!(outer(3), first);
    assert_eq!(
        INNER_CALLS.load(SeqCst),
        calls + 1,
        "inner recomputed once, then a hit"
    );
    assert_eq!(outer(3), first);
    assert_eq!(INNER_CALLS.load(SeqCst), calls + 1);
}
