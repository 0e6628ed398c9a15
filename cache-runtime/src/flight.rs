//! One computation in progress, which other callers with the same key wait for: threads on a
//! condition variable, tasks through their wakers.
//!
//! Two rules keep a wait from hanging where the plain function would finish:
//!
//! - **A computation never waits for itself.** A call that finds its key being computed by
//!   the code it is running inside (a recursion with the same arguments) computes without the
//!   cache, as the plain function would. For a synchronous computation that is its thread;
//!   for an `async` one it is the task polling it, which [`Computing`] marks on the thread for
//!   the length of each poll.
//! - **Threads never wait for each other in a circle.** Before a thread blocks on another
//!   thread's computation it follows who waits for whom ([`WAITS`]); if that leads back to a
//!   computation it owns (f calls g on one thread while g calls f on another), it computes
//!   without the cache instead. The check and the record of the wait happen under one lock,
//!   so two threads closing a circle at once cannot both miss it. Tasks are not followed: a
//!   task does not belong to a thread, so a circle through `async` computations on different
//!   tasks waits (see the crate docs on recursion).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};

/// Who computes a flight: a thread, for a synchronous computation, or whichever task polls it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Owner {
    Thread(ThreadId),
    Task,
}

impl Owner {
    /// The calling thread, for a computation it runs to the end before returning.
    pub(crate) fn this_thread() -> Self {
        Owner::Thread(thread::current().id())
    }
}

/// A computation that one caller (the owner) runs while the others wait for its outcome.
pub(crate) struct Flight<V> {
    owner: Owner,
    watchers: Mutex<Watchers<V>>,
    changed: Condvar,
}

struct Watchers<V> {
    outcome: Outcome<V>,
    wakers: Wakers,
    /// How many threads block on the condition variable: without any, settling makes no
    /// system call (a notify does one even when no thread waits).
    sleepers: usize,
}

enum Outcome<V> {
    Running,
    Done(V),
    /// The owner stored nothing: it returned an `Err`, panicked, was cancelled, or its value
    /// could not be encoded. Waiters look the key up again and one of them takes over.
    Abandoned,
}

/// What a synchronous wait found before it blocked.
pub(crate) enum Wait<V> {
    /// The owner finished: its value, or `None` if it stored nothing.
    Settled(Option<V>),
    /// Waiting would never end (the flight is computed by the caller itself, or by a thread
    /// that waits, directly or not, for the caller): compute without the cache.
    Cycle,
}

impl<V: Clone> Flight<V> {
    pub(crate) fn new(owner: Owner) -> Self {
        Flight {
            owner,
            watchers: Mutex::new(Watchers {
                outcome: Outcome::Running,
                wakers: Wakers::default(),
                sleepers: 0,
            }),
            changed: Condvar::new(),
        }
    }

    /// Whether the code calling this runs inside this flight's own computation.
    pub(crate) fn is_computed_here(&self) -> bool {
        self.owner == Owner::this_thread() || is_polling(self.addr())
    }

    /// Blocks until the owner is done, unless that would never happen (see the module docs).
    pub(crate) fn wait(&self) -> Wait<V> {
        if self.is_computed_here() {
            return Wait::Cycle;
        }
        let Some(_waiting) = WaitRecord::enter(self.owner) else {
            return Wait::Cycle;
        };
        let mut watchers = self.lock();
        watchers.sleepers += 1;
        let settled = loop {
            match &watchers.outcome {
                Outcome::Running => {
                    watchers = self
                        .changed
                        .wait(watchers)
                        .unwrap_or_else(|e| e.into_inner())
                }
                Outcome::Done(value) => break Some(value.clone()),
                Outcome::Abandoned => break None,
            }
        };
        watchers.sleepers -= 1;
        Wait::Settled(settled)
    }

    /// Waits without blocking the thread.
    pub(crate) fn wait_async(self: Arc<Self>) -> WaitFlight<V> {
        WaitFlight {
            flight: self,
            waker: None,
        }
    }

    pub(crate) fn finish(&self, value: V) {
        self.settle(Outcome::Done(value));
    }

    pub(crate) fn abandon(&self) {
        self.settle(Outcome::Abandoned);
    }

    fn settle(&self, outcome: Outcome<V>) {
        let (wakers, sleepers) = {
            let mut watchers = self.lock();
            watchers.outcome = outcome;
            (std::mem::take(&mut watchers.wakers), watchers.sleepers)
        };
        if sleepers > 0 {
            self.changed.notify_all();
        }
        wakers.wake_all();
    }

    fn addr(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// No user code runs under this lock, so a poisoned lock only means a panic elsewhere in
    /// the waiting thread; the state itself is always whole.
    fn lock(&self) -> MutexGuard<'_, Watchers<V>> {
        self.watchers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The wakers of a flight's waiting tasks, each in a slot of its own so that a task that
/// stops waiting (its future dropped) takes its waker out at once.
#[derive(Default)]
struct Wakers {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Wakers {
    /// Puts `waker` in `slot` (a new one if `None`) and returns the slot.
    fn register(&mut self, slot: Option<usize>, waker: &Waker) -> usize {
        match slot {
            Some(slot) => {
                let held = &mut self.slots[slot];
                if !held.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    *held = Some(waker.clone());
                }
                slot
            }
            None => {
                let slot = self.free.pop().unwrap_or_else(|| {
                    self.slots.push(None);
                    self.slots.len() - 1
                });
                self.slots[slot] = Some(waker.clone());
                slot
            }
        }
    }

    fn remove(&mut self, slot: usize) {
        if let Some(held) = self.slots.get_mut(slot)
            && held.take().is_some()
        {
            self.free.push(slot);
        }
        if self.free.len() == self.slots.len() {
            *self = Wakers::default(); // every waiter left: give the memory back
        }
    }

    fn wake_all(self) {
        for waker in self.slots.into_iter().flatten() {
            waker.wake();
        }
    }
}

/// The future of [`Flight::wait_async`]. Dropping it (a cancelled waiter) affects no one else
/// and frees its waker.
pub(crate) struct WaitFlight<V> {
    flight: Arc<Flight<V>>,
    /// Its slot among the flight's wakers, once it has been polled.
    waker: Option<usize>,
}

impl<V: Clone> Future for WaitFlight<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let this = self.get_mut();
        let mut watchers = this.flight.lock();
        match &watchers.outcome {
            Outcome::Running => {
                this.waker = Some(watchers.wakers.register(this.waker, cx.waker()));
                Poll::Pending
            }
            Outcome::Done(value) => Poll::Ready(Some(value.clone())),
            Outcome::Abandoned => Poll::Ready(None),
        }
    }
}

impl<V> Drop for WaitFlight<V> {
    fn drop(&mut self) {
        if let Some(slot) = self.waker {
            let mut watchers = self
                .flight
                .watchers
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if matches!(watchers.outcome, Outcome::Running) {
                watchers.wakers.remove(slot);
            }
        }
    }
}

thread_local! {
    /// The async flights whose computation this thread is polling right now, innermost last.
    static POLLING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// An `async` computation, marked as its flight's on the thread for the length of each poll,
/// so that a call with the same key made from inside it is seen as a recursion.
pub(crate) struct Computing<F> {
    flight: usize,
    future: F,
}

impl<F> Computing<F> {
    pub(crate) fn new<V: Clone>(flight: &Flight<V>, future: F) -> Self {
        Computing {
            flight: flight.addr(),
            future,
        }
    }
}

/// Whether this thread is polling the computation of the flight at `flight` right now.
fn is_polling(flight: usize) -> bool {
    POLLING
        .try_with(|polling| polling.borrow().contains(&flight))
        .unwrap_or(false)
}

impl<F: Future> Future for Computing<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`, and
        // `Computing` has no `Drop` and is `Unpin` only when `F` is.
        let (flight, future) = unsafe {
            let this = self.get_unchecked_mut();
            (this.flight, Pin::new_unchecked(&mut this.future))
        };
        let _marked = PollMark::push(flight);
        future.poll(cx)
    }
}

/// The mark of one poll of a [`Computing`], taken off when the poll returns or unwinds.
struct PollMark;

impl PollMark {
    fn push(flight: usize) -> Self {
        let _ = POLLING.try_with(|polling| polling.borrow_mut().push(flight));
        PollMark
    }
}

impl Drop for PollMark {
    fn drop(&mut self) {
        let _ = POLLING.try_with(|polling| polling.borrow_mut().pop());
    }
}

/// For every thread blocked on a synchronous flight, the thread that owns that flight.
static WAITS: Mutex<Option<HashMap<ThreadId, ThreadId>>> = Mutex::new(None);

/// A thread's entry in [`WAITS`] for as long as it waits.
struct WaitRecord {
    waiter: ThreadId,
}

impl WaitRecord {
    /// Records that the calling thread waits for a flight of `owner`, or `None` if `owner`
    /// waits, through any number of threads, for the calling thread.
    fn enter(owner: Owner) -> Option<Self> {
        let me = thread::current().id();
        let Owner::Thread(owner) = owner else {
            return Some(WaitRecord { waiter: me }); // a task's flight: not followed
        };
        let mut waits = lock_waits();
        let waits = waits.get_or_insert_with(HashMap::new);
        let mut next = owner;
        // Each thread waits for at most one flight and every record was checked when it was
        // made, so the chain has no loop of its own and ends.
        loop {
            if next == me {
                return None;
            }
            match waits.get(&next) {
                Some(&further) => next = further,
                None => break,
            }
        }
        waits.insert(me, owner);
        Some(WaitRecord { waiter: me })
    }
}

impl Drop for WaitRecord {
    fn drop(&mut self) {
        if let Some(waits) = lock_waits().as_mut() {
            waits.remove(&self.waiter);
        }
    }
}

fn lock_waits() -> MutexGuard<'static, Option<HashMap<ThreadId, ThreadId>>> {
    WAITS.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Wake;

    struct Count(std::sync::atomic::AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn poll_once<V: Clone>(wait: &mut WaitFlight<V>, waker: &Waker) -> Poll<Option<V>> {
        Pin::new(wait).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn a_dropped_waiter_takes_its_waker_out() {
        let flight = Arc::new(Flight::<u32>::new(Owner::Task));
        let count = Arc::new(Count(Default::default()));
        let waker = Waker::from(count.clone());
        let mut waits: Vec<_> = (0..100).map(|_| flight.clone().wait_async()).collect();
        for wait in &mut waits {
            assert!(poll_once(wait, &waker).is_pending());
        }
        assert_eq!(flight.lock().wakers.slots.len(), 100);
        waits.truncate(10);
        // `count`, `waker`, and one clone in the slot of each waiter left.
        assert_eq!(
            Arc::strong_count(&count),
            2 + 10,
            "dropped waiters freed their wakers"
        );
        drop(waits);
        assert!(flight.lock().wakers.slots.is_empty(), "memory given back");
        flight.finish(7);
    }

    #[test]
    fn a_repolled_waiter_keeps_one_slot() {
        let flight = Arc::new(Flight::<u32>::new(Owner::Task));
        let waker = Waker::from(Arc::new(Count(Default::default())));
        let mut wait = flight.clone().wait_async();
        for _ in 0..5 {
            assert!(poll_once(&mut wait, &waker).is_pending());
        }
        assert_eq!(flight.lock().wakers.slots.len(), 1);
        flight.finish(7);
        assert_eq!(poll_once(&mut wait, &waker), Poll::Ready(Some(7)));
    }

    #[test]
    fn a_thread_never_waits_for_its_own_flight() {
        let flight = Flight::<u32>::new(Owner::this_thread());
        assert!(matches!(flight.wait(), Wait::Cycle));
    }

    #[test]
    fn two_threads_waiting_for_each_other_are_told_apart() {
        let (a_id, b_id) = (thread::current().id(), {
            thread::spawn(|| thread::current().id()).join().unwrap()
        });
        let _b_waits_for_a = {
            let mut waits = lock_waits();
            waits.get_or_insert_with(HashMap::new).insert(b_id, a_id);
            WaitRecord { waiter: b_id }
        };
        assert!(WaitRecord::enter(Owner::Thread(b_id)).is_none());
        assert!(WaitRecord::enter(Owner::Task).is_some());
    }
}
