//! The in-memory store behind one cached function: entries, compute-once, ttl and LRU.
//!
//! The store never runs the user's function. A lookup either finds a value, waits for the
//! caller already computing it, or hands out a [`Ticket`] that makes the caller the one who
//! computes. No lock is held while a value is computed, so the function may call other cached
//! functions, or itself with other arguments.
//!
//! No user code runs while a caller holds a key: values that leave the store (evicted, expired,
//! cleared, failing `validate`) are handed to `on_release` and dropped only after the waiters of
//! the key being stored were woken, and outside every lock, with a panic in either caught and
//! logged. So an `on_release` or a `Drop` may call any cached function, this one included.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;

use crate::clock;
use crate::flight::{Computing, Flight, Owner, Wait};
use crate::key::{Key, KeyHasherBuilder};
use front::{Epoch, Shared};

pub(crate) mod front;

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
    /// Every removal takes its entry's item out, so it never holds more than the store.
    expiry: Mutex<BTreeMap<Due, Key>>,
    on_release: Option<Release<V>>,
    /// Whether a panic of `on_release` or of a value's `Drop` was logged as a warning yet.
    release_panicked: AtomicBool,
    /// The removal epoch that every thread's front of this store checks, see [`front`].
    epoch: Epoch,
}

enum Slot<V> {
    Ready(Ready<V>),
    Pending(Arc<Flight<V>>),
}

/// When an entry falls due: its time stored, then its id (unique, so two entries stored at
/// the same instant are two items).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    stored_at: u64,
    id: u64,
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
    /// Compute, and store nothing: a recursive call with the key its own computation holds
    /// (computing it again is what the plain function would do), a call that would wait in a
    /// circle of threads (see [`crate::flight`]), or a key whose arguments failed to serialize.
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
    ///
    /// The waiters are woken before the values this store let go of meanwhile are released.
    pub(crate) fn fulfil_aged(mut self, value: V, age: u64) {
        self.settled = true;
        let let_go = self
            .store
            .fulfil(self.key, &self.flight, value.clone(), age);
        self.flight.finish(value);
        self.store.release_all(let_go);
    }

    /// Runs an `async` computation of this ticket's key, so that a call with the same key
    /// from inside it computes without the cache rather than waiting for itself.
    pub(crate) fn computing<F: Future>(&self, future: F) -> Computing<F> {
        Computing::new(&self.flight, future)
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
    Own(Arc<Flight<V>>),
    Wait(Arc<Flight<V>>),
    /// The entry had expired and was taken out: release it (holding nothing) and look again.
    Expired(V),
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
            expiry: Mutex::new(BTreeMap::new()),
            on_release,
            release_panicked: AtomicBool::new(false),
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
            match self.claim(key, Owner::this_thread()) {
                Step::Hit(value) => return Lookup::Hit(value),
                Step::Own(flight) => return self.ticket(key, flight),
                Step::Expired(value) => self.release(value),
                Step::Wait(flight) => match flight.wait() {
                    Wait::Settled(Some(value)) => return Lookup::Fresh(value),
                    Wait::Settled(None) => {}
                    Wait::Cycle => return Lookup::Bypass,
                },
            }
        }
    }

    /// Like [`lookup`](Self::lookup), but waits for another caller's computation without
    /// blocking the thread.
    pub(crate) async fn lookup_async(&self, key: Key) -> Lookup<'_, V> {
        if key.is_uncacheable() {
            return Lookup::Bypass;
        }
        if let Some(hit) = self.find(key) {
            return hit;
        }
        loop {
            match self.claim(key, Owner::Task) {
                Step::Hit(value) => return Lookup::Hit(value),
                Step::Own(flight) => return self.ticket(key, flight),
                Step::Expired(value) => self.release(value),
                Step::Wait(flight) if flight.is_computed_here() => return Lookup::Bypass,
                Step::Wait(flight) => {
                    if let Some(value) = flight.wait_async().await {
                        return Lookup::Fresh(value);
                    }
                }
            }
        }
    }

    /// Runs `f` on what the current thread's front holds of `key`'s value (see
    /// [`front`]): the hit path, with no lock and no shared write, the clock only if
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

    /// Under the key's lock: takes a value, joins the computation in flight, starts one, or
    /// takes out an expired entry.
    fn claim(&self, key: Key, owner: Owner) -> Step<V> {
        match self.map.entry(key) {
            MapEntry::Occupied(occupied) => match occupied.get() {
                Slot::Ready(entry) if !self.is_expired(entry) => {
                    self.touch(entry);
                    Step::Hit(entry.value.clone())
                }
                Slot::Ready(_) => {
                    let Slot::Ready(old) = occupied.remove() else {
                        unreachable!("the slot was ready a moment ago, under the same lock")
                    };
                    Step::Expired(self.forget(old))
                }
                Slot::Pending(flight) => Step::Wait(flight.clone()),
            },
            MapEntry::Vacant(vacant) => {
                let flight = Arc::new(Flight::new(owner));
                vacant.insert(Slot::Pending(flight.clone()));
                Step::Own(flight)
            }
        }
    }

    fn ticket(&self, key: Key, flight: Arc<Flight<V>>) -> Lookup<'_, V> {
        Lookup::Compute(Ticket {
            store: self,
            key,
            flight,
            settled: false,
        })
    }

    /// Stores the value of `flight` for `key`; returns what that made the store let go of
    /// (evicted or expired entries), for the caller to release once it woke the waiters.
    #[must_use]
    fn fulfil(&self, key: Key, flight: &Arc<Flight<V>>, value: V, age: u64) -> Vec<V> {
        let Some(mut slot) = self.map.get_mut(&key) else {
            return Vec::new();
        };
        if !flight.is(&slot) {
            return Vec::new(); // cleared while computing: the caller gets its value, the store does not
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
        if self.limits.ttl.is_some() {
            // Also under the slot's lock: a removal of the entry, which takes its item out,
            // comes after the item is in.
            lock(&self.expiry).insert(Due { stored_at, id }, key);
        }
        drop(slot);
        if let Some(value) = front_copy {
            self.epoch.fill(epoch, key, &value, stored_at);
        }
        let mut let_go = Vec::new();
        if let Some(ttl) = self.limits.ttl {
            self.sweep_expired(ttl, &mut let_go);
        }
        if let Some(max) = self.limits.max_entries {
            self.evict_beyond(max, &mut let_go);
        }
        let_go
    }

    /// Removes `key`'s entry if it still holds the value at `addr` ([`Shared::addr`]): a hit
    /// that failed `validate` or did not decode.
    pub(crate) fn remove_value(&self, key: Key, addr: *const ()) {
        if let Some(value) = self.take_ready(key, |entry| entry.value.addr() == addr) {
            self.release(value);
        }
    }

    /// Removes whatever `key` holds; a computation in flight for it will not be stored.
    ///
    /// Bumps the epoch even when the map held nothing for `key`: a [`clear`](Self::clear)
    /// running on another thread may have taken the entry out and not bumped yet (it bumps
    /// once, after its sweep), and a call that starts after this returns must not find the
    /// removed value in its front.
    pub(crate) fn clear_entry(&self, key: Key) {
        match self.map.remove(&key) {
            Some((_, Slot::Ready(entry))) => {
                let value = self.forget(entry);
                self.release(value);
            }
            _ => self.epoch.bump(),
        }
    }

    /// Removes everything; computations in flight will not be stored.
    pub(crate) fn clear(&self) {
        let mut removed = Vec::new();
        self.map.retain(|_, slot| {
            if let Slot::Ready(entry) = slot {
                removed.push((
                    entry.value.clone(),
                    Due {
                        stored_at: entry.stored_at,
                        id: entry.id,
                    },
                ));
            }
            false
        });
        self.ready.fetch_sub(removed.len(), Ordering::Relaxed);
        self.epoch.bump();
        if self.limits.ttl.is_some() {
            let mut expiry = lock(&self.expiry);
            for (_, due) in &removed {
                expiry.remove(due);
            }
        }
        self.release_all(removed.into_iter().map(|(value, _)| value).collect());
    }

    /// How many values the store holds.
    pub(crate) fn len(&self) -> usize {
        self.ready.load(Ordering::Relaxed)
    }

    /// How many entries the expiry bookkeeping holds (at most [`len`](Self::len), give or take
    /// the entries being stored or removed right now).
    #[cfg(test)]
    fn expiry_len(&self) -> usize {
        lock(&self.expiry).len()
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

    /// Removes every entry whose ttl has run out, so that a cache whose keys never repeat
    /// still holds no more than one ttl's worth of writes.
    fn sweep_expired(&self, ttl: u64, let_go: &mut Vec<V>) {
        let now = clock::now();
        let mut due = Vec::new();
        {
            let mut expiry = lock(&self.expiry);
            while let Some(entry) = expiry.first_entry() {
                if now.saturating_sub(entry.key().stored_at) < ttl {
                    break;
                }
                let (Due { id, .. }, key) = entry.remove_entry();
                due.push((key, id));
            }
        }
        for (key, id) in due {
            let_go.extend(self.take_ready(key, |entry| entry.id == id));
        }
    }

    /// Evicts least recently used entries until at most `max` remain.
    ///
    /// This scans the store, O(entries) per eviction: it happens only on a miss, which runs the
    /// (slow) function anyway, and keeps the hit path free of any shared LRU list.
    fn evict_beyond(&self, max: usize, let_go: &mut Vec<V>) {
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
            let_go.extend(self.take_ready(key, |entry| entry.id == id));
        }
    }

    /// Takes `key`'s stored entry out of the map if `which` says it is the one meant (a newer
    /// entry under the same key is left alone).
    fn take_ready(&self, key: Key, which: impl FnOnce(&Ready<V>) -> bool) -> Option<V> {
        let removed = self
            .map
            .remove_if(&key, |_, slot| matches!(slot, Slot::Ready(e) if which(e)));
        let Some((_, Slot::Ready(entry))) = removed else {
            return None;
        };
        Some(self.forget(entry))
    }

    /// The bookkeeping of an entry that just left the map: the count, its expiry item, and
    /// every front's view of it. Returns its value, to be released.
    fn forget(&self, entry: Ready<V>) -> V {
        self.ready.fetch_sub(1, Ordering::Relaxed);
        if self.limits.ttl.is_some() {
            lock(&self.expiry).remove(&Due {
                stored_at: entry.stored_at,
                id: entry.id,
            });
        }
        self.epoch.bump();
        entry.value
    }

    fn release_all(&self, values: Vec<V>) {
        for value in values {
            self.release(value);
        }
    }

    /// Hands a value that left the store to `on_release`, then drops it, outside every lock.
    /// A panic in either is caught and logged (a warning the first time, then quietly): the
    /// store stays consistent and the caller's call still succeeds.
    pub(crate) fn release(&self, value: V) {
        if let Some(on_release) = &self.on_release
            && catch_unwind(AssertUnwindSafe(|| on_release(&value))).is_err()
        {
            self.release_panicked("`on_release` panicked; the value was dropped all the same");
        }
        self.let_go(value);
    }

    /// Drops a value the cache no longer holds (the value's `Drop` may run here), catching a
    /// panic of that `Drop`.
    pub(crate) fn let_go<T>(&self, value: T) {
        if catch_unwind(AssertUnwindSafe(move || drop(value))).is_err() {
            self.release_panicked("dropping a value it let go of panicked");
        }
    }

    #[cold]
    fn release_panicked(&self, what: &str) {
        if self.release_panicked.swap(true, Ordering::Relaxed) {
            tracing::debug!("fncache: {what}");
        } else {
            tracing::warn!("fncache: {what} (logged once per function)");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyWriter;

    const DAY: u64 = 86_400 * 1_000_000_000;

    fn key(i: u64) -> Key {
        KeyWriter::new().arg(&i).finish()
    }

    fn store(ttl: Option<u64>, max_entries: Option<usize>) -> Store<Arc<[u8]>> {
        Store::new(Limits { ttl, max_entries }, None)
    }

    fn compute(store: &Store<Arc<[u8]>>, i: u64) {
        match store.lookup(key(i)) {
            Lookup::Compute(ticket) => ticket.fulfil(Arc::from(&i.to_le_bytes()[..])),
            _ => panic!("key {i} was expected to be a miss"),
        }
    }

    #[test]
    fn expiry_bookkeeping_stays_bounded_when_max_entries_evicts() {
        let store = store(Some(DAY), Some(10));
        for i in 0..100_000 {
            compute(&store, i);
        }
        assert_eq!(store.len(), 10);
        assert_eq!(store.expiry_len(), 10);
    }

    #[test]
    fn expiry_bookkeeping_stays_bounded_under_clear_entry() {
        let store = store(Some(DAY), None);
        for i in 0..10_000 {
            compute(&store, i);
            store.clear_entry(key(i));
        }
        assert_eq!((store.len(), store.expiry_len()), (0, 0));
    }

    #[test]
    fn expiry_bookkeeping_stays_bounded_under_failed_validation() {
        let store = store(Some(DAY), None);
        for i in 0..10_000 {
            compute(&store, 0);
            let Lookup::Hit(value) = store.lookup(key(0)) else {
                panic!("a hit was expected in round {i}");
            };
            store.remove_value(key(0), value.addr());
        }
        assert_eq!((store.len(), store.expiry_len()), (0, 0));
    }

    fn front_sees(store: &Store<Arc<[u8]>>, i: u64) -> bool {
        store.peek(&key(i), |_| ()).is_some()
    }

    /// Found by the lifecycle model: a `clear` had taken the entry out of the map and not yet
    /// bumped the epoch when another thread's `clear_entry` of that key found nothing, returned,
    /// and that thread's next call got the removed value from its front.
    #[test]
    fn clear_entry_racing_a_clear_leaves_no_value_in_a_front() {
        let store = store(None, None);
        compute(&store, 1);
        assert!(matches!(store.lookup(key(1)), Lookup::Hit(_)));
        assert!(front_sees(&store, 1), "a hit fills the thread's front");
        // What a `clear` on another thread has done halfway: the entry is out, no bump yet.
        let (_, taken) = store.map.remove(&key(1)).expect("stored above");
        store.clear_entry(key(1));
        assert!(
            !front_sees(&store, 1),
            "the front still served the removed value"
        );
        drop(taken);
    }

    #[test]
    fn expiry_bookkeeping_follows_a_clear() {
        let store = store(Some(DAY), None);
        for i in 0..1_000 {
            compute(&store, i);
        }
        assert_eq!(store.expiry_len(), 1_000);
        store.clear();
        assert_eq!((store.len(), store.expiry_len()), (0, 0));
    }
}
