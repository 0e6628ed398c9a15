//! One computation in progress, which other callers with the same key wait for.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};

/// A computation that one caller (the owner) runs while the others wait for its outcome.
pub(crate) struct Flight<V> {
    owner: ThreadId,
    state: Mutex<State<V>>,
    changed: Condvar,
}

enum State<V> {
    Running,
    Done(V),
    /// The owner stored nothing: it returned an `Err`, panicked, or its value could not be
    /// encoded. Waiters look the key up again and one of them takes over.
    Abandoned,
}

impl<V: Clone> Flight<V> {
    pub(crate) fn new() -> Self {
        Flight {
            owner: thread::current().id(),
            state: Mutex::new(State::Running),
            changed: Condvar::new(),
        }
    }

    /// Whether the calling thread is the one computing (a recursive call with the same key).
    pub(crate) fn is_owned_by_current_thread(&self) -> bool {
        self.owner == thread::current().id()
    }

    /// Blocks until the owner is done: its value, or `None` if it stored nothing.
    pub(crate) fn wait(&self) -> Option<V> {
        let mut state = self.lock();
        loop {
            match &*state {
                State::Running => {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner())
                }
                State::Done(value) => return Some(value.clone()),
                State::Abandoned => return None,
            }
        }
    }

    pub(crate) fn finish(&self, value: V) {
        *self.lock() = State::Done(value);
        self.changed.notify_all();
    }

    pub(crate) fn abandon(&self) {
        *self.lock() = State::Abandoned;
        self.changed.notify_all();
    }

    /// No user code runs under this lock, so a poisoned lock only means a panic elsewhere in
    /// the waiting thread; the state itself is always whole.
    fn lock(&self) -> MutexGuard<'_, State<V>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
