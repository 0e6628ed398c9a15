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

use crate::budget;
use crate::clock;
use crate::flight::{Computing, Flight, Owner, Wait};
use crate::key::{Key, KeyHasherBuilder};
use front::{Epoch, Shared};
use recency::{NIL, Recency, Use};

pub(crate) mod front;
mod recency;

/// What an entry costs beyond its value's bytes, as `max_size` counts it: its key, its slot in
/// the map, its place in the LRU order, the value's allocation header and its expiry item,
/// rounded up. A cache's size is the sum, over its entries, of the value's bytes plus this.
///
/// ```
/// // A `#[cache_data(max_size = "1MB")]` function returning 1000-byte values keeps about
/// // 1_000_000 / (1000 + a few bytes of encoding + ENTRY_OVERHEAD) of them.
/// let fits = 1_000_000 / (1_000 + 16 + fncache_runtime::ENTRY_OVERHEAD);
/// assert!((800..1000).contains(&fits));
/// ```
pub const ENTRY_OVERHEAD: u64 = 160;

/// Called with every value that leaves the store.
pub(crate) type Release<V> = Box<dyn Fn(&V) + Send + Sync>;

/// Limits of one store, fixed when it is created.
pub(crate) struct Limits {
    /// How long an entry lives after it is stored, in clock nanoseconds.
    pub(crate) ttl: Option<u64>,
    pub(crate) max_entries: Option<usize>,
    /// At most this many bytes, counted as [`ENTRY_OVERHEAD`] says.
    pub(crate) max_size: Option<u64>,
    /// The function's path, for warnings.
    pub(crate) path: &'static str,
    /// Whether the process's memory budget covers the store (see [`crate::budget`]).
    pub(crate) budgeted: bool,
}

impl Limits {
    /// Whether the store evicts by use by its own limits.
    fn bounded(&self) -> bool {
        self.max_entries.is_some() || self.max_size.is_some()
    }

    /// Whether a store of `len` entries weighing `weight` holds more than it may.
    fn exceeded(&self, len: usize, weight: u64) -> bool {
        self.max_entries.is_some_and(|max| len > max)
            || self.max_size.is_some_and(|max| weight > max)
    }
}

pub(crate) struct Store<V> {
    map: DashMap<Key, Slot<V>, KeyHasherBuilder>,
    limits: Limits,
    /// How many `Slot::Ready` entries the map holds.
    ready: AtomicUsize,
    /// What they weigh: their values' bytes plus [`ENTRY_OVERHEAD`] each. Changed by stores
    /// and removals only, never by a hit.
    bytes: AtomicU64,
    next_id: AtomicU64,
    /// The LRU order of a bounded store (see [`recency`]); taken after a slot's lock, never
    /// before one.
    recency: Mutex<Recency>,
    /// Whether a value larger than `max_size` alone was reported (once per function).
    oversized: AtomicBool,
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
    /// Its node in the LRU order, in a bounded store.
    node: u32,
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
        if self.store.limits.budgeted {
            let store: *const Store<V> = self.store;
            budget::stored(store.cast(), self.key);
        }
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

/// How a round of a lookup ended: with what the caller gets, or with a flight to wait for.
enum Round<'s, V: Shared> {
    Done(Lookup<'s, V>),
    Wait(Arc<Flight<V>>),
}

/// What the slow path decided while it held the map's lock.
enum Step<V> {
    /// A stored value, and its node in the LRU order.
    Hit(V, u32),
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
            bytes: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            recency: Mutex::new(Recency::new()),
            oversized: AtomicBool::new(false),
            limits,
            expiry: Mutex::new(BTreeMap::new()),
            on_release,
            release_panicked: AtomicBool::new(false),
            epoch: Epoch::new(),
        }
    }

    /// Whether the store keeps an LRU order: for its own limits, or for the memory budget once
    /// one was set. Never turns false again.
    #[inline]
    fn ordered(&self) -> bool {
        self.limits.bounded() || (self.limits.budgeted && budget::ordering())
    }

    /// Finds `key`'s value in the shared map, waits for it (blocking the thread), or makes the
    /// caller compute it. Callers look in the thread's front first ([`peek`](Self::peek)), so
    /// this is everything but the fastest hit, kept out of line.
    ///
    /// It and [`lookup_async`](Self::lookup_async) share every step but the wait.
    #[inline(never)]
    pub(crate) fn lookup(&self, key: Key) -> Lookup<'_, V> {
        if let Some(found) = self.start(key) {
            return found;
        }
        loop {
            match self.round(key, Owner::this_thread()) {
                Round::Done(found) => return found,
                Round::Wait(flight) => match flight.wait() {
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
        if let Some(found) = self.start(key) {
            return found;
        }
        loop {
            match self.round(key, Owner::Task) {
                Round::Done(found) => return found,
                Round::Wait(flight) if flight.is_computed_here() => return Lookup::Bypass,
                Round::Wait(flight) => {
                    if let Some(value) = flight.wait_async().await {
                        return Lookup::Fresh(value);
                    }
                }
            }
        }
    }

    /// What a lookup finds before it takes a lock: a key with no identity, or a stored value.
    fn start(&self, key: Key) -> Option<Lookup<'_, V>> {
        if key.is_uncacheable() {
            return Some(Lookup::Bypass);
        }
        self.find(key)
    }

    /// One round of a lookup under the key's lock, expired entries released and looked past:
    /// a value, the right to compute, or someone else's computation to wait for.
    fn round(&self, key: Key, owner: Owner) -> Round<'_, V> {
        loop {
            match self.claim(key, owner) {
                Step::Hit(value, node) => {
                    self.note_use(node);
                    return Round::Done(Lookup::Hit(value));
                }
                Step::Own(flight) => return Round::Done(self.ticket(key, flight)),
                Step::Expired(value) => self.release(value),
                Step::Wait(flight) => return Round::Wait(flight),
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
        if self.ordered() {
            return self.peek_ordered(key, f);
        }
        self.epoch.get::<V, R>(key, |value, stored_at, _| {
            (!self.has_expired(stored_at)).then(|| f(value))
        })
    }

    /// [`peek`](Self::peek) in a store that keeps an LRU order: the hit is also noted as a use.
    /// Apart, so that the hit of an unordered store carries no node through its return value.
    fn peek_ordered<R>(&self, key: &Key, f: impl FnOnce(&V::Near) -> R) -> Option<R> {
        let (found, node) = self.epoch.get::<V, _>(key, |value, stored_at, node| {
            (!self.has_expired(stored_at)).then(|| (f(value), node))
        })?;
        self.note_use(node);
        Some(found)
    }

    /// Tells the store's LRU order, if it keeps one, that this thread used the entry at `node`:
    /// noted in the thread's front, replayed once enough are noted.
    #[inline]
    fn note_use(&self, node: u32) {
        if self.ordered()
            && let Some(uses) = self.epoch.note_use::<V>(node)
        {
            self.hand_over(&uses);
        }
    }

    /// Hands this thread's noted uses to the LRU order, if there are any.
    fn hand_over(&self, uses: &[Use]) {
        if !uses.is_empty() {
            lock(&self.recency).replay(uses);
        }
    }

    /// The shared hit path: one shard read lock, the clock only if there is a ttl. A hit fills
    /// the thread's front (which may allocate, outside the lock).
    fn find(&self, key: Key) -> Option<Lookup<'_, V>> {
        let epoch = self.epoch.current();
        let slot = self.map.get(&key)?;
        match &*slot {
            Slot::Ready(entry) if !self.is_expired(entry) => {
                let value = entry.value.clone();
                let (stored_at, node) = (entry.stored_at, entry.node);
                drop(slot);
                self.note_use(node);
                self.epoch.fill(epoch, key, &value, stored_at, node);
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
                    Step::Hit(entry.value.clone(), entry.node)
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
        let mut let_go = Vec::new();
        // Expired entries go first, so that a bounded store never evicts a live entry to make
        // room that they hold.
        if let Some(ttl) = self.limits.ttl {
            self.sweep_expired(ttl, &mut let_go);
        }
        // Taken before the slot's lock: it is this thread's, and no other's, to take.
        let uses = if self.ordered() {
            self.epoch.take_uses::<V>()
        } else {
            Vec::new()
        };
        let Some(mut slot) = self.map.get_mut(&key) else {
            self.hand_over(&uses);
            return let_go;
        };
        if !flight.is(&slot) {
            // Cleared while computing: the caller gets its value, the store does not.
            drop(slot);
            self.hand_over(&uses);
            return let_go;
        }
        // Read under the slot's lock: a removal of this entry comes after, and bumps past it.
        let epoch = self.epoch.current();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let stored_at = if self.limits.ttl.is_some() {
            clock::now().saturating_sub(age)
        } else {
            0
        };
        let mut evicted = Vec::new();
        let weight = entry_weight(&value);
        // Read under the slot's lock, see `budget::start_ordering`.
        let node = if self.ordered() {
            self.order(key, id, weight, &uses, &mut evicted)
        } else {
            NIL
        };
        let front_copy = value.clone();
        *slot = Slot::Ready(Ready {
            value,
            id,
            stored_at,
            node,
        });
        // Counted before the slot is unlocked, so that a removal, which can only see it after,
        // never takes the count below zero.
        self.ready.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(weight, Ordering::Relaxed);
        if self.limits.budgeted {
            budget::add(weight);
        }
        if self.limits.ttl.is_some() {
            // Also under the slot's lock: a removal of the entry, which takes its item out,
            // comes after the item is in.
            lock(&self.expiry).insert(Due { stored_at, id }, key);
        }
        drop(slot);
        self.epoch.fill(epoch, key, &front_copy, stored_at, node);
        for evicted in evicted {
            let_go.extend(self.take_ready(evicted.key, |entry| entry.id == evicted.id));
        }
        let_go
    }

    /// Under the new entry's slot lock, in a store that keeps an LRU order: replays this
    /// thread's uses, puts the entry first in the LRU order and takes the least recently used
    /// entries out of the order until the store is within its limits again (a value over
    /// `max_size` alone stays, by itself). Returns the new entry's node; what left the order is
    /// in `evicted`, for the caller to take out of the map once the slot is unlocked.
    fn order(
        &self,
        key: Key,
        id: u64,
        weight: u64,
        uses: &[Use],
        evicted: &mut Vec<recency::Evicted>,
    ) -> u32 {
        let mut recency = lock(&self.recency);
        recency.replay(uses);
        let node = recency.insert(key, id, weight);
        while recency.len() > 1 && self.limits.exceeded(recency.len(), recency.weight()) {
            evicted.extend(recency.pop_oldest());
        }
        let alone_too_big = self.limits.exceeded(recency.len(), recency.weight());
        drop(recency);
        if alone_too_big {
            self.warn_oversized(weight);
        }
        node
    }

    #[cold]
    fn warn_oversized(&self, weight: u64) {
        if !self.oversized.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "fncache: `{}` returned a value of {weight} bytes (with its entry's overhead), more than its `max_size` of {} bytes; it is cached alone, everything else was evicted (reported once)",
                self.limits.path,
                self.limits.max_size.unwrap_or(0),
            );
        }
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
                    entry.node,
                ));
            }
            false
        });
        self.ready.fetch_sub(removed.len(), Ordering::Relaxed);
        let bytes = removed.iter().map(|(value, ..)| entry_weight(value)).sum();
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
        if self.limits.budgeted {
            budget::sub(bytes);
        }
        self.epoch.bump();
        if self.limits.ttl.is_some() {
            let mut expiry = lock(&self.expiry);
            for (_, due, _) in &removed {
                expiry.remove(due);
            }
        }
        if removed.iter().any(|&(.., node)| node != NIL) {
            let mut recency = lock(&self.recency);
            for &(_, due, node) in &removed {
                recency.remove(node, due.id);
            }
        }
        self.release_all(removed.into_iter().map(|(value, ..)| value).collect());
    }

    /// How many values the store holds.
    pub(crate) fn len(&self) -> usize {
        self.ready.load(Ordering::Relaxed)
    }

    /// How many bytes the store holds, as `max_size` counts them.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// How many entries the expiry bookkeeping holds (at most [`len`](Self::len), give or take
    /// the entries being stored or removed right now).
    #[cfg(test)]
    fn expiry_len(&self) -> usize {
        lock(&self.expiry).len()
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
        let weight = entry_weight(&entry.value);
        self.bytes.fetch_sub(weight, Ordering::Relaxed);
        if self.limits.budgeted {
            budget::sub(weight);
        }
        if entry.node != NIL {
            lock(&self.recency).remove(entry.node, entry.id);
        }
        if self.limits.ttl.is_some() {
            lock(&self.expiry).remove(&Due {
                stored_at: entry.stored_at,
                id: entry.id,
            });
        }
        self.epoch.bump();
        entry.value
    }

    /// Hands the uses this thread noted to the LRU order (for the memory budget, which is
    /// about to compare stores).
    pub(crate) fn hand_over_uses(&self) {
        if self.ordered() {
            let uses = self.epoch.take_uses::<V>();
            self.hand_over(&uses);
        }
    }

    /// The use number and key of the least recently used entry, in a store keeping an order.
    pub(crate) fn oldest(&self) -> Option<(u64, Key)> {
        lock(&self.recency).oldest()
    }

    /// Evicts and releases the least recently used entry; whether the order held one.
    pub(crate) fn evict_oldest(&self) -> bool {
        let Some(evicted) = lock(&self.recency).pop_oldest() else {
            return false;
        };
        if let Some(value) = self.take_ready(evicted.key, |entry| entry.id == evicted.id) {
            self.release(value);
        }
        true
    }

    /// Puts every stored entry that has no place in the LRU order into it, when the store
    /// starts keeping one (see [`crate::budget`]); fronts are emptied, so that their hits note
    /// the new nodes.
    pub(crate) fn order_all(&self) {
        let unordered: Vec<(Key, u64)> = self
            .map
            .iter()
            .filter_map(|item| match item.value() {
                Slot::Ready(entry) if entry.node == NIL => Some((*item.key(), entry.id)),
                _ => None,
            })
            .collect();
        for (key, id) in unordered {
            if let Some(mut slot) = self.map.get_mut(&key)
                && let Slot::Ready(entry) = &mut *slot
                && entry.id == id
                && entry.node == NIL
            {
                let weight = entry_weight(&entry.value);
                entry.node = lock(&self.recency).insert(key, id, weight);
            }
        }
        self.epoch.bump();
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

/// What an entry holding `value` counts against `max_size`.
fn entry_weight<V: Shared>(value: &V) -> u64 {
    value.weight().saturating_add(ENTRY_OVERHEAD)
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
        let limits = Limits {
            ttl,
            max_entries,
            max_size: None,
            path: "test",
            budgeted: false,
        };
        Store::new(limits, None)
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

    /// The model-based test of a bounded store: random calls, clears and clock advances on one
    /// thread, against a plain list in use order with the same ttl, `max_entries` and
    /// `max_size`. One thread's calls must give exactly the model's hits, values and size.
    mod model {
        use std::time::Duration;

        use proptest::prelude::*;

        use super::*;

        /// Not a whole number of seconds, so that the test's whole-second advances never land
        /// on it (the real clock adds microseconds to them).
        const TTL: u64 = 10_500_000_000;
        const MAX_ENTRIES: usize = 5;
        const MAX_SIZE: u64 = 4 * ENTRY_OVERHEAD + 200;

        #[derive(Debug, Clone)]
        enum Op {
            Call(u64),
            ClearEntry(u64),
            Clear,
            Advance(u64),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                8 => (0u64..12).prop_map(Op::Call),
                1 => (0u64..12).prop_map(Op::ClearEntry),
                1 => Just(Op::Clear),
                2 => (1u64..4).prop_map(Op::Advance),
            ]
        }

        /// A key's value: its own bytes, from 1 to 120 of them, so that weights differ.
        fn value(k: u64) -> Arc<[u8]> {
            vec![k as u8; 1 + (k as usize * 37) % 120].into()
        }

        fn weight(k: u64) -> u64 {
            value(k).len() as u64 + ENTRY_OVERHEAD
        }

        /// Entries most recently used first: (key, the model's time it was stored).
        #[derive(Default)]
        struct Model {
            entries: Vec<(u64, u64)>,
            now: u64,
        }

        impl Model {
            fn expired(&self, stored_at: u64) -> bool {
                self.now - stored_at >= TTL
            }

            /// Whether the call hits.
            fn call(&mut self, k: u64) -> bool {
                if let Some(at) = self.entries.iter().position(|&(key, _)| key == k) {
                    let entry = self.entries.remove(at);
                    if !self.expired(entry.1) {
                        self.entries.insert(0, entry);
                        return true;
                    }
                }
                let now = self.now;
                self.entries.retain(|&(_, stored_at)| now - stored_at < TTL);
                self.entries.insert(0, (k, now));
                while self.entries.len() > 1
                    && (self.entries.len() > MAX_ENTRIES || self.weight() > MAX_SIZE)
                {
                    self.entries.pop();
                }
                false
            }

            fn weight(&self) -> u64 {
                self.entries.iter().map(|&(k, _)| weight(k)).sum()
            }
        }

        fn bounded_store() -> Store<Arc<[u8]>> {
            let limits = Limits {
                ttl: Some(TTL),
                max_entries: Some(MAX_ENTRIES),
                max_size: Some(MAX_SIZE),
                path: "model",
                budgeted: false,
            };
            Store::new(limits, None)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn a_bounded_store_on_one_thread_is_exactly_the_lru_model(
                ops in proptest::collection::vec(op(), 1..120)
            ) {
                let store = bounded_store();
                let mut model = Model::default();
                for op in ops {
                    match op {
                        Op::Call(k) => {
                            let hit = match store.lookup(key(k)) {
                                Lookup::Hit(found) => {
                                    prop_assert_eq!(&*found, &*value(k));
                                    true
                                }
                                Lookup::Compute(ticket) => {
                                    ticket.fulfil(value(k));
                                    false
                                }
                                _ => panic!("one thread never waits or bypasses"),
                            };
                            prop_assert_eq!(hit, model.call(k), "call of {}", k);
                        }
                        Op::ClearEntry(k) => {
                            store.clear_entry(key(k));
                            model.entries.retain(|&(key, _)| key != k);
                        }
                        Op::Clear => {
                            store.clear();
                            model.entries.clear();
                        }
                        Op::Advance(secs) => {
                            clock::advance(Duration::from_secs(secs));
                            model.now += secs * 1_000_000_000;
                        }
                    }
                    prop_assert_eq!(store.len(), model.entries.len());
                    prop_assert_eq!(lock(&store.recency).weight(), model.weight());
                    prop_assert_eq!(store.bytes(), model.weight());
                }
            }
        }
    }
}
