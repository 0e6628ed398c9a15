//! `async fn` under both attributes: the awaited value is cached (never the future), concurrent
//! awaits of one key run the body once on any executor, other keys never wait, a cancelled
//! owner hands the computation to a waiter, a dropped waiter cancels no one, `Err` and panics
//! store nothing, `validate`/`on_release` work on async resources, and recursion works.
//!
//! Executors: tokio's multi-thread and current-thread runtimes (built with `Builder`: the
//! `macros` feature is off) and `futures_executor::block_on`. Where the order of events
//! matters, the futures are polled by hand, so each step is checked rather than hoped for;
//! tokio's timer appears only as a hang guard, never in an assertion.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use fncache::{cache_data, cache_resource};
use futures_util::future::{Either, join, join_all, select};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::{Notify, Semaphore};

/// Only a guard against a hang: a correct cache answers in far less, and no test asserts on it.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("a tokio multi-thread runtime")
}

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio current-thread runtime")
}

/// Awaits `future`, failing the test (rather than hanging it) if it never completes.
async fn guarded<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(HANG_GUARD, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} hung"),
    }
}

/// Closed until [`AsyncGate::open`]: bodies await it to stay in flight while the test acts.
/// Runtime-agnostic (tokio's `sync` types need no tokio runtime).
struct AsyncGate(Semaphore);

impl AsyncGate {
    const fn new() -> Self {
        AsyncGate(Semaphore::const_new(0))
    }

    async fn pass(&self) {
        // A semaphore without permits never grants one; closing it releases every acquirer.
        let _ = self.0.acquire().await;
    }

    fn open(&self) {
        self.0.close();
    }
}

/// Returns `Pending` once (waking itself), so the other futures of a `join_all` get polled.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Yields until `condition` holds: an event, not a duration.
async fn until(condition: impl Fn() -> bool) {
    while !condition() {
        yield_once().await;
    }
}

/// A waker that records whether it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, SeqCst)
    }
}

/// Polls `future` once with `waker`.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

fn assert_send<T: Send>(_: &T) {}

// ---------------------------------------------------------------------------------------------
// Compute once: 32 concurrent awaits of one key, on three executors.

/// One counter per executor, so the three tests can run at the same time.
static JOINED_CALLS: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];

#[cache_data]
async fn joined(executor: usize, x: u32) -> Vec<u32> {
    JOINED_CALLS[executor].fetch_add(1, SeqCst);
    // Suspended once: every other future of the `join_all` is polled while this one is in flight.
    yield_once().await;
    vec![x; 3]
}

/// `join_all` of 32 awaits of one key: one computation, 32 equal values.
async fn join_32(executor: usize) {
    let results = join_all((0..32).map(|_| joined(executor, 7))).await;
    assert_eq!(results.len(), 32);
    assert!(results.iter().all(|v| *v == [7, 7, 7]), "{results:?}");
    assert_eq!(
        JOINED_CALLS[executor].load(SeqCst),
        1,
        "one computation for 32 awaits"
    );
    // The awaited value was cached, not the future: a later await is a hit.
    let mut again = joined(executor, 7).await;
    again.push(0); // our copy only
    assert_eq!(joined(executor, 7).await, [7, 7, 7]);
    assert_eq!(JOINED_CALLS[executor].load(SeqCst), 1);
}

#[test]
fn join_all_of_32_awaits_computes_once_on_tokio_multi_thread() {
    multi_thread().block_on(guarded("join_all", join_32(0)));
}

#[test]
fn join_all_of_32_awaits_computes_once_on_tokio_current_thread() {
    current_thread().block_on(guarded("join_all", join_32(1)));
}

#[test]
fn join_all_of_32_awaits_computes_once_on_futures_executor() {
    futures_executor::block_on(join_32(2));
}

static TASKS_GATE: AsyncGate = AsyncGate::new();
static TASKS_CALLS: AtomicUsize = AtomicUsize::new(0);
static TASKS_STARTED: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
async fn pool_for_tasks(size: u32) -> Vec<u32> {
    TASKS_CALLS.fetch_add(1, SeqCst);
    TASKS_GATE.pass().await;
    vec![0; size as usize]
}

#[test]
fn tasks_on_many_threads_share_one_computation_and_one_arc() {
    let runtime = multi_thread();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                tokio::spawn(async {
                    TASKS_STARTED.fetch_add(1, SeqCst);
                    pool_for_tasks(4).await
                })
            })
            .collect();
        // Every task has called, and one is computing; the rest wait for it across threads.
        until(|| TASKS_STARTED.load(SeqCst) == 32 && TASKS_CALLS.load(SeqCst) == 1).await;
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        TASKS_GATE.open();
        let mut pools = Vec::new();
        for task in tasks {
            pools.push(guarded("a task", task).await.expect("the task succeeds"));
        }
        assert!(
            pools.iter().all(|p| Arc::ptr_eq(p, &pools[0])),
            "one shared Arc"
        );
        assert_eq!(*pools[0], [0, 0, 0, 0]);
    });
    assert_eq!(TASKS_CALLS.load(SeqCst), 1, "one computation for 32 tasks");
}

#[test]
fn spawned_tasks_on_tokio_current_thread_compute_once() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    static GATE: AsyncGate = AsyncGate::new();

    #[cache_data]
    async fn interleaved(x: u32) -> String {
        CALLS.fetch_add(1, SeqCst);
        GATE.pass().await;
        format!("value {x}")
    }

    current_thread().block_on(async {
        let tasks: Vec<_> = (0..32).map(|_| tokio::spawn(interleaved(3))).collect();
        // On one thread every spawned task runs up to its first suspension before this one
        // runs again, so 31 of them are waiting on the one in flight.
        until(|| CALLS.load(SeqCst) == 1).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        GATE.open();
        for task in tasks {
            assert_eq!(guarded("a task", task).await.unwrap(), "value 3");
        }
    });
    assert_eq!(CALLS.load(SeqCst), 1);
}

#[test]
fn the_future_of_a_cached_async_fn_is_send() {
    // `tokio::spawn` on a multi-thread runtime needs it; this says so directly.
    assert_send(&joined(0, 0));
    assert_send(&pool_for_tasks(0));
}

// ---------------------------------------------------------------------------------------------
// Other keys never wait.

static HELD_GATE: AsyncGate = AsyncGate::new();
static HELD_ENTERED: Notify = Notify::const_new();

#[cache_data]
async fn held_key(key: u32) -> u32 {
    if key == 0 {
        HELD_ENTERED.notify_one();
        HELD_GATE.pass().await;
    }
    key * 10
}

#[test]
fn other_keys_never_wait_for_a_key_in_flight_across_threads() {
    multi_thread().block_on(async {
        let slow = tokio::spawn(held_key(0));
        HELD_ENTERED.notified().await; // key 0 is computing, and stays so until the gate opens
        assert_eq!(guarded("another key", held_key(1)).await, 10);
        assert_eq!(guarded("another key", held_key(2)).await, 20);
        assert!(!slow.is_finished(), "key 0 is still in flight");
        HELD_GATE.open();
        assert_eq!(guarded("key 0", slow).await.unwrap(), 0);
    });
}

#[test]
fn other_keys_never_wait_for_a_key_in_flight_in_one_task() {
    static GATE: AsyncGate = AsyncGate::new();

    #[cache_resource]
    async fn one_task(key: u32) -> u32 {
        if key == 0 {
            GATE.pass().await;
        }
        key + 1
    }

    let race = async {
        // `select` polls key 0 first (it starts and suspends), then key 1, which must finish.
        match select(pin!(one_task(0)), pin!(one_task(1))).await {
            Either::Right((value, _)) => assert_eq!(*value, 2),
            Either::Left(_) => panic!("key 0 cannot finish: its gate is closed"),
        }
    };
    futures_executor::block_on(race);
    current_thread().block_on(guarded("another key", async {
        match select(pin!(one_task(0)), pin!(one_task(5))).await {
            Either::Right((value, _)) => assert_eq!(*value, 6),
            Either::Left(_) => panic!("key 0 cannot finish: its gate is closed"),
        }
    }));
    GATE.open();
    assert_eq!(*futures_executor::block_on(one_task(0)), 1);
}

// ---------------------------------------------------------------------------------------------
// Cancellation: the owner dropped mid-computation, a waiter dropped while waiting.

static TAKEOVER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
async fn takeover(x: u32) -> u32 {
    let call = TAKEOVER_CALLS.fetch_add(1, SeqCst) + 1;
    if call == 1 {
        // The first owner never finishes by itself: only its cancellation ends it.
        std::future::pending::<()>().await;
    }
    x + 100
}

#[test]
fn a_cancelled_owner_wakes_a_waiter_which_takes_over() {
    let mut owner = Box::pin(takeover(1));
    let mut waiter = Box::pin(takeover(1));
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());

    assert!(poll_once(owner.as_mut(), Waker::noop()).is_pending());
    assert_eq!(TAKEOVER_CALLS.load(SeqCst), 1, "the owner is computing");
    assert!(poll_once(waiter.as_mut(), &waker).is_pending());
    assert_eq!(
        TAKEOVER_CALLS.load(SeqCst),
        1,
        "the second await waits for the owner instead of computing"
    );
    assert!(!flag.take(), "nothing to wake the waiter for yet");

    drop(owner); // the task that was computing is cancelled

    assert!(
        flag.take(),
        "the cancelled owner wakes its waiter: no lost wake-up"
    );
    assert_eq!(poll_once(waiter.as_mut(), &waker), Poll::Ready(101));
    assert_eq!(TAKEOVER_CALLS.load(SeqCst), 2, "the waiter computed it");
    assert_eq!(futures_executor::block_on(takeover(1)), 101);
    assert_eq!(TAKEOVER_CALLS.load(SeqCst), 2, "and its value was stored");
}

static ABORTED_CALLS: AtomicUsize = AtomicUsize::new(0);
static ABORTED_ENTERED: Notify = Notify::const_new();
static ABORTED_WAITING: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
async fn aborted(x: u32) -> String {
    let call = ABORTED_CALLS.fetch_add(1, SeqCst) + 1;
    if call == 1 {
        ABORTED_ENTERED.notify_one();
        std::future::pending::<()>().await;
    }
    format!("computed by call {call} for {x}")
}

#[test]
fn an_aborted_owner_task_hands_the_computation_to_a_waiting_task() {
    multi_thread().block_on(async {
        let owner = tokio::spawn(aborted(9));
        ABORTED_ENTERED.notified().await;
        let waiter = tokio::spawn(async {
            ABORTED_WAITING.fetch_add(1, SeqCst);
            aborted(9).await
        });
        until(|| ABORTED_WAITING.load(SeqCst) == 1).await;
        for _ in 0..100 {
            tokio::task::yield_now().await; // lets the waiter reach the flight (not asserted)
        }
        owner.abort();
        assert!(owner.await.unwrap_err().is_cancelled());
        let value = guarded("the waiter", waiter).await.unwrap();
        assert_eq!(*value, "computed by call 2 for 9");
        assert!(Arc::ptr_eq(&value, &guarded("a hit", aborted(9)).await));
    });
    assert_eq!(ABORTED_CALLS.load(SeqCst), 2);
}

static DROPPED_WAITER_GATE: AsyncGate = AsyncGate::new();
static DROPPED_WAITER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
async fn dropped_waiter(x: u32) -> u32 {
    DROPPED_WAITER_CALLS.fetch_add(1, SeqCst);
    DROPPED_WAITER_GATE.pass().await;
    x * 2
}

#[test]
fn a_dropped_waiter_does_not_cancel_the_owner_or_the_other_waiters() {
    let mut owner = Box::pin(dropped_waiter(4));
    let mut dropped = Box::pin(dropped_waiter(4));
    let mut kept = Box::pin(dropped_waiter(4));
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());

    assert!(poll_once(owner.as_mut(), Waker::noop()).is_pending());
    assert!(poll_once(dropped.as_mut(), Waker::noop()).is_pending());
    assert!(poll_once(kept.as_mut(), &waker).is_pending());
    assert_eq!(
        DROPPED_WAITER_CALLS.load(SeqCst),
        1,
        "two waiters, one owner"
    );

    drop(dropped);
    assert!(!flag.take(), "a dropped waiter wakes no one");

    DROPPED_WAITER_GATE.open();
    let (a, b) = futures_executor::block_on(join(owner, kept));
    assert_eq!((a, b), (8, 8));
    assert_eq!(
        DROPPED_WAITER_CALLS.load(SeqCst),
        1,
        "still one computation"
    );
}

#[test]
fn an_aborted_waiter_task_does_not_cancel_the_others() {
    static GATE: AsyncGate = AsyncGate::new();
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    static STARTED: AtomicUsize = AtomicUsize::new(0);

    #[cache_data]
    async fn shared(x: u32) -> u32 {
        CALLS.fetch_add(1, SeqCst);
        GATE.pass().await;
        x + 1
    }

    multi_thread().block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                tokio::spawn(async {
                    STARTED.fetch_add(1, SeqCst);
                    shared(1).await
                })
            })
            .collect();
        until(|| STARTED.load(SeqCst) == 4 && CALLS.load(SeqCst) == 1).await;
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        // Abort one task (whichever it is, the owner included, the rest must finish).
        tasks[3].abort();
        GATE.open();
        for task in tasks.into_iter().take(3) {
            assert_eq!(guarded("a task", task).await.unwrap(), 2);
        }
    });
    assert!(CALLS.load(SeqCst) <= 2, "at most one takeover");
}

// ---------------------------------------------------------------------------------------------
// `Err` and panics, as in sync functions.

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
async fn flaky(x: u32) -> Result<u32, String> {
    let call = FLAKY_CALLS.fetch_add(1, SeqCst) + 1;
    yield_once().await;
    if call == 1 {
        Err(format!("call {call} failed"))
    } else {
        Ok(x)
    }
}

#[test]
fn an_async_err_is_returned_and_not_cached() {
    futures_executor::block_on(async {
        assert_eq!(flaky(5).await, Err("call 1 failed".to_owned()));
        assert_eq!(flaky(5).await, Ok(5));
        assert_eq!(flaky(5).await, Ok(5));
    });
    assert_eq!(
        FLAKY_CALLS.load(SeqCst),
        2,
        "the Err was not stored, the Ok was"
    );
}

static ERR_GATE: AsyncGate = AsyncGate::new();
static ERR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
async fn fails_first(x: u32) -> Result<u32, String> {
    let call = ERR_CALLS.fetch_add(1, SeqCst) + 1;
    ERR_GATE.pass().await;
    if call == 1 {
        Err("the owner failed".to_owned())
    } else {
        Ok(x)
    }
}

#[test]
fn an_owner_that_returns_err_releases_its_waiter_which_computes() {
    let mut owner = Box::pin(fails_first(3));
    let mut waiter = Box::pin(fails_first(3));
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());

    assert!(poll_once(owner.as_mut(), Waker::noop()).is_pending());
    assert!(poll_once(waiter.as_mut(), &waker).is_pending());
    assert_eq!(ERR_CALLS.load(SeqCst), 1);

    ERR_GATE.open();
    match poll_once(owner.as_mut(), Waker::noop()) {
        Poll::Ready(Err(e)) => assert_eq!(e, "the owner failed"),
        other => panic!("the owner returns its Err, got {other:?}"),
    }
    assert!(flag.take(), "the waiter is woken");
    match poll_once(waiter.as_mut(), &waker) {
        Poll::Ready(Ok(value)) => assert_eq!(*value, 3),
        other => panic!("the waiter computes its own value, got {other:?}"),
    }
    assert_eq!(ERR_CALLS.load(SeqCst), 2);
    assert_eq!(*futures_executor::block_on(fails_first(3)).unwrap(), 3);
    assert_eq!(ERR_CALLS.load(SeqCst), 2, "the waiter's Ok was stored");
}

static PANIC_GATE: AsyncGate = AsyncGate::new();
static PANIC_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
async fn panics_first(x: u32) -> u32 {
    let call = PANIC_CALLS.fetch_add(1, SeqCst) + 1;
    PANIC_GATE.pass().await;
    assert!(call != 1, "the first computation panics");
    x
}

#[test]
fn an_owner_that_panics_releases_its_waiter_which_computes() {
    let mut owner = Box::pin(panics_first(6));
    let mut waiter = Box::pin(panics_first(6));
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());

    assert!(poll_once(owner.as_mut(), Waker::noop()).is_pending());
    assert!(poll_once(waiter.as_mut(), &waker).is_pending());
    assert_eq!(PANIC_CALLS.load(SeqCst), 1);

    PANIC_GATE.open();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        poll_once(owner.as_mut(), Waker::noop())
    }));
    assert!(panicked.is_err(), "the owner's body panicked");
    drop(owner);
    assert!(flag.take(), "the waiter is woken");
    assert_eq!(poll_once(waiter.as_mut(), &waker), Poll::Ready(6));
    assert_eq!(PANIC_CALLS.load(SeqCst), 2, "the panic stored nothing");
    assert_eq!(futures_executor::block_on(panics_first(6)), 6);
    assert_eq!(PANIC_CALLS.load(SeqCst), 2);
}

#[test]
fn a_panicking_task_on_tokio_stores_nothing_and_the_next_call_computes() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data]
    async fn explodes_once(x: u32) -> Vec<u32> {
        let call = CALLS.fetch_add(1, SeqCst) + 1;
        tokio::task::yield_now().await;
        assert!(call != 1, "the first computation panics");
        vec![x]
    }

    multi_thread().block_on(async {
        let first = tokio::spawn(explodes_once(1));
        assert!(
            guarded("the panicking task", first)
                .await
                .unwrap_err()
                .is_panic()
        );
        assert_eq!(guarded("a call", explodes_once(1)).await, [1]);
        assert_eq!(guarded("a call", explodes_once(1)).await, [1]);
    });
    assert_eq!(CALLS.load(SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// `validate` and `on_release` stay synchronous, and work on async resources.

struct Connection {
    id: u32,
    healthy: AtomicBool,
}

static CONNECT_CALLS: AtomicUsize = AtomicUsize::new(0);
static VALIDATIONS: AtomicUsize = AtomicUsize::new(0);
static RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn is_healthy(connection: &Connection) -> bool {
    VALIDATIONS.fetch_add(1, SeqCst);
    connection.healthy.load(SeqCst)
}

fn released() -> Vec<u32> {
    RELEASED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[cache_resource(
    validate = is_healthy,
    on_release = |c: &Connection| RELEASED.lock().unwrap_or_else(|e| e.into_inner()).push(c.id)
)]
async fn connect(id: u32) -> Connection {
    CONNECT_CALLS.fetch_add(1, SeqCst);
    yield_once().await;
    Connection {
        id,
        healthy: AtomicBool::new(true),
    }
}

#[test]
fn validate_and_on_release_work_on_an_async_resource() {
    current_thread().block_on(guarded("connect", async {
        let first = connect(1).await;
        assert_eq!(
            VALIDATIONS.load(SeqCst),
            0,
            "not validated right after computing"
        );
        let hit = connect(1).await;
        assert!(Arc::ptr_eq(&first, &hit));
        assert_eq!(VALIDATIONS.load(SeqCst), 1, "validated on the hit");
        assert_eq!(CONNECT_CALLS.load(SeqCst), 1);

        first.healthy.store(false, SeqCst);
        let fresh = connect(1).await;
        assert!(!Arc::ptr_eq(&first, &fresh), "a failed validate recomputes");
        assert_eq!(fresh.id, 1);
        assert!(fresh.healthy.load(SeqCst));
        assert_eq!(CONNECT_CALLS.load(SeqCst), 2);
        assert_eq!(released(), [1], "the unhealthy value was released once");

        let other = connect(2).await;
        connect::clear_entry(2);
        assert_eq!(released(), [1, 2]);
        assert_eq!(other.id, 2, "a released value stays usable by who holds it");
        connect::clear();
        assert_eq!(released(), [1, 2, 1]);
        assert_eq!(connect::__fncache().len(), 0);
    }));
}

// ---------------------------------------------------------------------------------------------
// Recursion (through `Box::pin`, as any recursive `async fn` needs).

static FIB_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
async fn fib(n: u64) -> u64 {
    FIB_CALLS.fetch_add(1, SeqCst);
    if n < 2 {
        n
    } else {
        Box::pin(fib(n - 1)).await + Box::pin(fib(n - 2)).await
    }
}

#[test]
fn a_recursive_async_fn_computes_each_key_once() {
    assert_eq!(futures_executor::block_on(fib(80)), 23_416_728_348_467_685);
    assert_eq!(FIB_CALLS.load(SeqCst), 81, "fib(0..=80), each once");
    let spawned = multi_thread().block_on(async { tokio::spawn(fib(81)).await.unwrap() });
    assert_eq!(spawned, 37_889_062_373_143_906);
    assert_eq!(FIB_CALLS.load(SeqCst), 82);
}

struct Tree {
    depth: u32,
    children: Vec<Arc<Tree>>,
}

#[cache_resource]
async fn tree(depth: u32) -> Tree {
    let mut children = Vec::new();
    if depth > 0 {
        children.push(Box::pin(tree(depth - 1)).await);
        children.push(Box::pin(tree(depth - 1)).await);
    }
    Tree { depth, children }
}

#[test]
fn a_recursive_async_resource_shares_its_subtrees() {
    let root = futures_executor::block_on(tree(3));
    assert_eq!(root.depth, 3);
    assert!(
        Arc::ptr_eq(&root.children[0], &root.children[1]),
        "one subtree per depth"
    );
    assert_eq!(root.children[0].children[0].depth, 1);
    assert_eq!(tree::__fncache().len(), 4);
}
