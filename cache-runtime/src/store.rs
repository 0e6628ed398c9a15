//! The in-memory store behind one cached function: entries, compute-once, ttl and LRU.
//!
//! The store never runs the user's function. A lookup either finds a value, waits for the
//! caller already computing it, or hands out a [`Ticket`] that makes the caller the one who
//! computes. No lock is held while a value is computed, so the function may call other cached
//! functions, or itself with other arguments.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;

use crate::clock;
use crate::flight::Flight;
use crate::front::{Epoch, Shared};
use crate::key::{Key, KeyHasherBuilder};

/// Called with every value that leaves the store.
pub(crate) type Release<V> = Box<dyn Fn(&V) + Send + Sync>;

/// Limits of one store, fixed when it is created.
pub(crate) struct Limits {
    /// How long an entry lives after it is stored, in clock nanoseconds.
    pub(crate) ttl: Option<u64>,
    pub(crate) max_entries: Option<usize>,
}

pub(crate) struct Store<V> {
    map: DashMap<Key, Slot<V>, KeyHasherBuilder>,
    limits: Limits,
    /// How many `Slot::Ready` entries the map holds.
    ready: AtomicUsize,
    next_id: AtomicU64,
    /// The LRU clock: bumped on every use, only when `max_entries` is set.
    tick: AtomicU64,
    /// Serializes evictions so that two racing inserts evict one entry each, not two.
    evicting: Mutex<()>,
    /// Stored entries in the order they expire (ttl is the same for all), when ttl is set.
    expiry: Mutex<VecDeque<(u64, Key, u64)>>,
    on_release: Option<Release<V>>,
    /// The removal epoch that every thread's front of this store checks, see [`crate::front`].
    epoch: Epoch,
}

enum Slot<V> {
    Ready(Ready<V>),
    Pending(Arc<Flight<V>>),
}

struct Ready<V> {
    value: V,
    /// Unique within the store, so a removal never takes a newer entry stored under the same key.
    id: u64,
    stored_at: u64,
    last_used: AtomicU64,
}

/// What a lookup found.
pub(crate) enum Lookup<'s, V: Shared> {
    /// A stored value.
    Hit(V),
    /// The value another caller just computed while this one waited.
    Fresh(V),
    /// Nothing usable: the caller computes and hands the value to the ticket.
    Compute(Ticket<'s, V>),
    /// Compute, and store nothing: a recursive call with the key its own thread is computing
    /// (computing it again is what the plain function would do), or a key whose arguments
    /// failed to serialize.
    Bypass,
}

/// The right and duty to compute one key. Dropping it without [`Ticket::fulfil`] (an `Err`, a
/// panic) stores nothing and wakes the waiters so that one of them takes over.
pub(crate) struct Ticket<'s, V: Shared> {
    store: &'s Store<V>,
    key: Key,
    flight: Arc<Flight<V>>,
    settled: bool,
}

impl<V: Shared> Ticket<'_, V> {
    /// Stores `value` (unless a clear came in meanwhile) and hands it to the waiters.
    pub(crate) fn fulfil(self, value: V) {
        self.fulfil_aged(value, 0);
    }

    /// Like [`fulfil`](Self::fulfil) for a value that was stored `age` clock nanoseconds ago
    /// elsewhere (on disk): its ttl has that much less to run.
    pub(crate) fn fulfil_aged(mut self, value: V, age: u64) {
        self.settled = true;
        self.store
            .fulfil(self.key, &self.flight, value.clone(), age);
        self.flight.finish(value);
    }
}

impl<V: Shared> Drop for Ticket<'_, V> {
    fn drop(&mut self) {
        if !self.settled {
            self.store
                .map
                .remove_if(&self.key, |_, slot| self.flight.is(slot));
            self.flight.abandon();
        }
    }
}

impl<V> Flight<V> {
    fn is(self: &Arc<Self>, slot: &Slot<V>) -> bool {
        matches!(slot, Slot::Pending(f) if Arc::ptr_eq(f, self))
    }
}

/// What the slow path decided while it held the map's lock.
enum Step<V> {
    Hit(V),
    Own(Arc<Flight<V>>, Option<V>),
    Wait(Arc<Flight<V>>),
}

impl<V: Shared> Store<V> {
    pub(crate) fn new(limits: Limits, on_release: Option<Release<V>>) -> Self {
        Store {
            map: DashMap::with_hasher(KeyHasherBuilder::default()),
            ready: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            tick: AtomicU64::new(0),
            evicting: Mutex::new(()),
            limits,
            expiry: Mutex::new(VecDeque::new()),
            on_release,
            epoch: Epoch::new(),
        }
    }

    /// Finds `key`'s value in the shared map, waits for it (blocking the thread), or makes the
    /// caller compute it. Callers look in the thread's front first ([`peek`](Self::peek)), so
    /// this is everything but the fastest hit, kept out of line.
    #[inline(never)]
    pub(crate) fn lookup(&self, key: Key) -> Lookup<'_, V> {
        if key.is_uncacheable() {
            return Lookup::Bypass;
        }
        if let Some(hit) = self.find(key) {
            return hit;
        }
        loop {
            match self.claim(key, true) {
                Step::Hit(value) => return Lookup::Hit(value),
                Step::Own(flight, expired) => return self.ticket(key, flight, expired),
                Step::Wait(flight) if flight.is_owned_by_current_thread() => return Lookup::Bypass,
                Step::Wait(flight) => {
                    if let Some(value) = flight.wait() {
                        return Lookup::Fresh(value);
                    }
                }
            }
        }
    }

    /// Like [`lookup`](Self::lookup), but waits for another caller's computation without
    /// blocking the thread. Returns [`Lookup::Bypass`] only for an uncacheable key.
    pub(crate) async fn lookup_async(&self, key: Key) -> Lookup<'_, V> {
        if key.is_uncacheable() {
            return Lookup::Bypass;
        }
        if let Some(hit) = self.find(key) {
            return hit;
        }
        loop {
            match self.claim(key, false) {
                Step::Hit(value) => return Lookup::Hit(value),
                Step::Own(flight, expired) => return self.ticket(key, flight, expired),
                Step::Wait(flight) => {
                    if let Some(value) = flight.wait_async().await {
                        return Lookup::Fresh(value);
                    }
                }
            }
        }
    }

    /// Runs `f` on what the current thread's front holds of `key`'s value (see
    /// [`crate::front`]): the hit path, with no lock and no shared write, the clock only if
    /// there is a ttl, leaving it to `f` whether to clone, upgrade or decode the value. A value
    /// that turns out unusable is removed with [`remove_value`](Self::remove_value).
    ///
    /// `f` may look up other keys; what they find is not remembered in the front.
    #[inline]
    pub(crate) fn peek<R>(&self, key: &Key, f: impl FnOnce(&V::Near) -> R) -> Option<R> {
        if !self.has_fronts() {
            return None;
        }
        self.epoch.get::<V, R>(key, |value, stored_at| {
            (!self.has_expired(stored_at)).then(|| f(value))
        })
    }

    /// The shared hit path: one shard read lock, the clock only if there is a ttl. A hit fills
    /// the thread's front (which may allocate, outside the lock).
    fn find(&self, key: Key) -> Option<Lookup<'_, V>> {
        let epoch = self.epoch.current();
        let slot = self.map.get(&key)?;
        match &*slot {
            Slot::Ready(entry) if !self.is_expired(entry) => {
                self.touch(entry);
                let value = entry.value.clone();
                let stored_at = entry.stored_at;
                drop(slot);
                if self.has_fronts() {
                    self.epoch.fill(epoch, key, &value, stored_at);
                }
                Some(Lookup::Hit(value))
            }
            _ => None,
        }
    }

    /// Under the key's lock: takes a value, joins the computation in flight, or starts one.
    fn claim(&self, key: Key, sync: bool) -> Step<V> {
        match self.map.entry(key) {
            MapEntry::Occupied(mut occupied) => match occupied.get() {
                Slot::Ready(entry) if !self.is_expired(entry) => {
                    self.touch(entry);
                    Step::Hit(entry.value.clone())
                }
                Slot::Ready(_) => {
                    let flight = Arc::new(Flight::new(sync));
                    let Slot::Ready(old) = occupied.insert(Slot::Pending(flight.clone())) else {
                        unreachable!("the slot was ready a moment ago, under the same lock")
                    };
                    self.ready.fetch_sub(1, Ordering::Relaxed);
                    self.epoch.bump();
                    Step::Own(flight, Some(old.value))
                }
                Slot::Pending(flight) => Step::Wait(flight.clone()),
            },
            MapEntry::Vacant(vacant) => {
                let flight = Arc::new(Flight::new(sync));
                vacant.insert(Slot::Pending(flight.clone()));
                Step::Own(flight, None)
            }
        }
    }

    fn ticket(&self, key: Key, flight: Arc<Flight<V>>, expired: Option<V>) -> Lookup<'_, V> {
        if let Some(value) = expired {
            self.release(value);
        }
        Lookup::Compute(Ticket {
            store: self,
            key,
            flight,
            settled: false,
        })
    }

    fn fulfil(&self, key: Key, flight: &Arc<Flight<V>>, value: V, age: u64) {
        let Some(mut slot) = self.map.get_mut(&key) else {
            return;
        };
        if !flight.is(&slot) {
            return; // cleared while computing: the caller gets its value, the store does not
        }
        // Read under the slot's lock: a removal of this entry comes after, and bumps past it.
        let epoch = self.epoch.current();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let stored_at = if self.limits.ttl.is_some() {
            clock::now().saturating_sub(age)
        } else {
            0
        };
        let last_used = AtomicU64::new(self.next_tick());
        let front_copy = self.has_fronts().then(|| value.clone());
        *slot = Slot::Ready(Ready {
            value,
            id,
            stored_at,
            last_used,
        });
        // Counted before the slot is unlocked, so that a removal, which can only see it after,
        // never takes the count below zero.
        self.ready.fetch_add(1, Ordering::Relaxed);
        drop(slot);
        if let Some(value) = front_copy {
            self.epoch.fill(epoch, key, &value, stored_at);
        }
        if let Some(ttl) = self.limits.ttl {
            self.expire(ttl, Some((stored_at, key, id)));
        }
        if let Some(max) = self.limits.max_entries {
            self.evict_beyond(max);
        }
    }

    /// Removes `key`'s entry if it still holds the value at `addr` ([`Shared::addr`]): a hit
    /// that failed `validate` or did not decode.
    pub(crate) fn remove_value(&self, key: Key, addr: *const ()) {
        if let Some(value) = self.take_ready(key, |entry| entry.value.addr() == addr) {
            self.release(value);
        }
    }

    /// Removes the entry `id` of `key` if it is still there (an expired one).
    fn remove_entry(&self, key: Key, id: u64) {
        if let Some(value) = self.take_ready(key, |entry| entry.id == id) {
            self.release(value);
        }
    }

    /// Removes whatever `key` holds; a computation in flight for it will not be stored.
    pub(crate) fn clear_entry(&self, key: Key) {
        if let Some((_, Slot::Ready(entry))) = self.map.remove(&key) {
            self.ready.fetch_sub(1, Ordering::Relaxed);
            self.epoch.bump();
            self.release(entry.value);
        }
    }

    /// Removes everything; computations in flight will not be stored.
    pub(crate) fn clear(&self) {
        // The expiry queue first: an entry stored while the map is being cleared then keeps
        // its queue item (stored after this), so it is still swept when it expires.
        lock(&self.expiry).clear();
        let mut removed = Vec::new();
        self.map.retain(|_, slot| {
            if let Slot::Ready(entry) = slot {
                removed.push(entry.value.clone());
            }
            false
        });
        self.ready.fetch_sub(removed.len(), Ordering::Relaxed);
        self.epoch.bump();
        for value in removed {
            self.release(value);
        }
    }

    /// How many values the store holds.
    pub(crate) fn len(&self) -> usize {
        self.ready.load(Ordering::Relaxed)
    }

    /// Whether hits may be served from fronts: not with `max_entries`, whose hits are uses.
    #[inline]
    fn has_fronts(&self) -> bool {
        self.limits.max_entries.is_none()
    }

    #[inline]
    fn is_expired(&self, entry: &Ready<V>) -> bool {
        self.has_expired(entry.stored_at)
    }

    #[inline]
    fn has_expired(&self, stored_at: u64) -> bool {
        self.limits
            .ttl
            .is_some_and(|ttl| clock::now().saturating_sub(stored_at) >= ttl)
    }

    #[inline]
    fn touch(&self, entry: &Ready<V>) {
        if self.limits.max_entries.is_some() {
            entry.last_used.store(self.next_tick(), Ordering::Relaxed);
        }
    }

    fn next_tick(&self) -> u64 {
        if self.limits.max_entries.is_some() {
            self.tick.fetch_add(1, Ordering::Relaxed)
        } else {
            0
        }
    }

    /// Records a new entry's expiry and removes every entry whose ttl has run out, so that a
    /// cache whose keys never repeat still holds no more than one ttl's worth of writes.
    fn expire(&self, ttl: u64, new: Option<(u64, Key, u64)>) {
        let now = clock::now();
        let mut due = Vec::new();
        {
            let mut queue = lock(&self.expiry);
            if let Some(entry) = new {
                // In stored order: an entry loaded from disk may be older than the last one.
                let at = queue.partition_point(|&(stored_at, _, _)| stored_at <= entry.0);
                queue.insert(at, entry);
            }
            while let Some(&(stored_at, key, id)) = queue.front() {
                if now.saturating_sub(stored_at) < ttl {
                    break;
                }
                queue.pop_front();
                due.push((key, id));
            }
        }
        for (key, id) in due {
            self.remove_entry(key, id);
        }
    }

    /// Evicts least recently used entries until at most `max` remain.
    ///
    /// This scans the store, O(entries) per eviction: it happens only on a miss, which runs the
    /// (slow) function anyway, and keeps the hit path free of any shared LRU list.
    fn evict_beyond(&self, max: usize) {
        let mut evicted = Vec::new();
        {
            let _one_at_a_time = lock(&self.evicting);
            while self.len() > max {
                let victim = self
                    .map
                    .iter()
                    .filter_map(|item| match item.value() {
                        Slot::Ready(entry) => Some((
                            entry.last_used.load(Ordering::Relaxed),
                            *item.key(),
                            entry.id,
                        )),
                        Slot::Pending(_) => None,
                    })
                    .min_by_key(|&(last_used, _, _)| last_used);
                let Some((_, key, id)) = victim else { break };
                evicted.extend(self.take_ready(key, |entry| entry.id == id));
            }
        }
        for value in evicted {
            self.release(value);
        }
    }

    /// Takes `key`'s stored entry out of the map if `which` says it is the one meant (a newer
    /// entry under the same key is left alone), and invalidates every front.
    fn take_ready(&self, key: Key, which: impl FnOnce(&Ready<V>) -> bool) -> Option<V> {
        let removed = self
            .map
            .remove_if(&key, |_, slot| matches!(slot, Slot::Ready(e) if which(e)));
        let Some((_, Slot::Ready(entry))) = removed else {
            return None;
        };
        self.ready.fetch_sub(1, Ordering::Relaxed);
        self.epoch.bump();
        Some(entry.value)
    }

    /// Hands a value that left the store to `on_release`, outside every lock. A panic there is
    /// logged and contained: the store stays consistent and the caller's call still succeeds.
    fn release(&self, value: V) {
        if let Some(on_release) = &self.on_release
            && catch_unwind(AssertUnwindSafe(|| on_release(&value))).is_err()
        {
            tracing::warn!("fncache: `on_release` panicked; the value was dropped all the same");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
