//! One computation in progress, which other callers with the same key wait for: threads on a
//! condition variable, tasks through their wakers.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};

/// A computation that one caller (the owner) runs while the others wait for its outcome.
pub(crate) struct Flight<V> {
    /// The owning thread of a synchronous computation; `None` for an async one, whose task
    /// may move between threads.
    owner: Option<ThreadId>,
    state: Mutex<Shared<V>>,
    changed: Condvar,
}

struct Shared<V> {
    state: State<V>,
    wakers: Vec<Waker>,
}

enum State<V> {
    Running,
    Done(V),
    /// The owner stored nothing: it returned an `Err`, panicked, was cancelled, or its value
    /// could not be encoded. Waiters look the key up again and one of them takes over.
    Abandoned,
}

impl<V: Clone> Flight<V> {
    /// A flight owned by the calling thread (`sync`) or by whichever task polls it.
    pub(crate) fn new(sync: bool) -> Self {
        Flight {
            owner: sync.then(|| thread::current().id()),
            state: Mutex::new(Shared {
                state: State::Running,
                wakers: Vec::new(),
            }),
            changed: Condvar::new(),
        }
    }

    /// Whether the calling thread is the one computing (a recursive call with the same key).
    pub(crate) fn is_owned_by_current_thread(&self) -> bool {
        self.owner == Some(thread::current().id())
    }

    /// Blocks until the owner is done: its value, or `None` if it stored nothing.
    pub(crate) fn wait(&self) -> Option<V> {
        let mut shared = self.lock();
        loop {
            match &shared.state {
                State::Running => {
                    shared = self.changed.wait(shared).unwrap_or_else(|e| e.into_inner())
                }
                State::Done(value) => return Some(value.clone()),
                State::Abandoned => return None,
            }
        }
    }

    /// Waits without blocking the thread.
    pub(crate) fn wait_async(self: Arc<Self>) -> WaitFlight<V> {
        WaitFlight { flight: self }
    }

    pub(crate) fn finish(&self, value: V) {
        self.settle(State::Done(value));
    }

    pub(crate) fn abandon(&self) {
        self.settle(State::Abandoned);
    }

    fn settle(&self, state: State<V>) {
        let wakers = {
            let mut shared = self.lock();
            shared.state = state;
            std::mem::take(&mut shared.wakers)
        };
        self.changed.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }

    /// No user code runs under this lock, so a poisoned lock only means a panic elsewhere in
    /// the waiting thread; the state itself is always whole.
    fn lock(&self) -> MutexGuard<'_, Shared<V>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The future of [`Flight::wait_async`]. Dropping it (a cancelled waiter) affects no one else.
pub(crate) struct WaitFlight<V> {
    flight: Arc<Flight<V>>,
}

impl<V: Clone> Future for WaitFlight<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let mut shared = self.flight.lock();
        match &shared.state {
            State::Running => {
                if !shared.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    shared.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            State::Done(value) => Poll::Ready(Some(value.clone())),
            State::Abandoned => Poll::Ready(None),
        }
    }
}
