//! Helpers shared by the behaviour tests: a gate that holds a cached body open, and the locks
//! that keep tests with process-wide effects (a global clear, the clock) apart.
//!
//! Each test binary uses only some of these.
#![allow(dead_code)]

pub mod capture;

use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Holds every body that calls [`Gate::pass`] until the test calls [`Gate::open`], and lets the
/// test wait until a given number of bodies have reached it.
///
/// Synchronization by events, not by time: a test that uses it never depends on how fast the
/// machine is.
pub struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

struct GateState {
    entered: usize,
    open: bool,
}

impl Gate {
    /// A closed gate.
    pub const fn new() -> Self {
        Gate {
            state: Mutex::new(GateState {
                entered: 0,
                open: false,
            }),
            changed: Condvar::new(),
        }
    }

    /// Called by a body: records that it arrived, then blocks while the gate is closed.
    pub fn pass(&self) {
        let mut state = lock(&self.state);
        state.entered += 1;
        self.changed.notify_all();
        while !state.open {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Records that a body arrived, without waiting for the gate.
    pub fn arrive(&self) {
        lock(&self.state).entered += 1;
        self.changed.notify_all();
    }

    /// Blocks until at least `n` bodies have called [`pass`](Self::pass) or
    /// [`arrive`](Self::arrive).
    pub fn wait_entered(&self, n: usize) {
        let mut state = lock(&self.state);
        while state.entered < n {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// How many bodies have called [`pass`](Self::pass) so far.
    pub fn entered(&self) -> usize {
        lock(&self.state).entered
    }

    /// Whether [`open`](Self::open) was called.
    pub fn is_open(&self) -> bool {
        lock(&self.state).open
    }

    /// Lets every held body (and every later one) through.
    pub fn open(&self) {
        lock(&self.state).open = true;
        self.changed.notify_all();
    }
}

/// Locks a mutex, ignoring poisoning (a failed test must not fail every later one).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

static PROCESS_WIDE: RwLock<()> = RwLock::new(());

/// Taken by a test whose caches a process-wide action (`cache_resource::clear()`) would disturb.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS_WIDE.read().unwrap_or_else(|e| e.into_inner())
}

/// Taken by a test that does something process-wide: no [`shared`] test runs meanwhile.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS_WIDE.write().unwrap_or_else(|e| e.into_inner())
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the tests that take it one at a time (tests of `ttl`, which advance the shared clock).
pub fn serial() -> MutexGuard<'static, ()> {
    lock(&SERIAL)
}
