//! Each thread's front of a store: the hit path that takes no lock and writes no shared memory
//! (a resource hit still counts its reference to the value, as any `Arc` clone does).
//!
//! A hit through the shared map takes a shard's read lock, and taking a read lock is a write
//! to the lock's cache line. Two threads hitting different keys then still trade those lines
//! back and forth, which is why the map alone scaled to about 1.3× on two cores. So every
//! thread keeps, per store, a small table from key to what it last found there, and the
//! store counts its removals in an *epoch*:
//!
//! - A hit in the front is valid only while the store's epoch is the one the front was filled
//!   under. Every removal from the store (clear, `clear_entry`, a ttl sweep, a failed
//!   `validate`, an undecodable value) bumps the epoch *after* the entry left the map and
//!   *before* its value is released, so a call that starts after a removal has returned never
//!   gets the removed value. (A call racing with the removal may, exactly as a caller that
//!   took its `Arc` from the map just before the removal still holds it.)
//! - A front is filled only with an entry just found in (or stored into) the map, under the
//!   epoch read *before* that: a removal racing with the fill bumps the epoch past it.
//! - Adding entries does not bump the epoch, so a store that only grows keeps its fronts.
//! - A resource is held weakly: a value that left the store is dropped as it would be without
//!   fronts (a `T` is not kept alive by threads that once read it; only its allocation stays
//!   until their fronts let go). Encoded data, which has no `Drop` to run, is held strongly
//!   (small values only), so that a hit decodes it without touching a shared reference count.
//!   A front whose epoch is stale is dropped on its thread's next lookup in that store.
//!
//! The hits of a store that keeps an LRU order (a bounded one, or any the memory budget covers
//! once a budget is set) are uses that the order must learn of: a front notes each one (the
//! entry's node in the order and a tick of the thread's clock, see [`super::recency`]) in a
//! buffer of its own, which the store replays when this thread stores a value or the buffer is
//! full. So such a hit writes no shared memory either.

#[cfg(loom)]
use loom::sync::atomic::AtomicU64;
use std::cell::RefCell;
#[cfg(not(loom))]
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::recency::Use;
use crate::key::{Key, KeyHasherBuilder};

/// How many keys one thread keeps in the front of one store: a table of at most 2048 slots of
/// 64 bytes (128 KiB) per thread and function. Past that, a new key takes the place of the one
/// in its home slot; a thread with more hot keys than this gets some of its hits from the
/// shared map.
const CAPACITY: usize = 1024;

/// A value kind that stores can keep fronts for: what a front holds of a value, and where each
/// thread's fronts for that kind live.
pub(crate) trait Shared: Clone {
    /// What a front holds: a weak handle where keeping a removed value alive would matter.
    type Near;

    /// What to keep in fronts for this value, or `None` to keep it out of them.
    fn near(&self) -> Option<Self::Near>;

    /// Where the value lives: what a front hit that must remove its entry (a failed `validate`,
    /// a value that does not decode) names it by, as fronts keep no entry ids.
    fn addr(&self) -> *const ();

    /// How many bytes the value holds, as a store's `max_size` counts them (without the key
    /// and the entry's fixed overhead, which the store adds).
    fn weight(&self) -> u64;

    /// Runs `f` on the current thread's fronts for this kind; `None` while the thread's
    /// locals are being destroyed.
    fn with_fronts<R>(f: impl FnOnce(&RefCell<Fronts<Self::Near>>) -> R) -> Option<R>;
}

/// One thread's fronts of every store of one value kind, by store index.
pub(crate) struct Fronts<W> {
    by_store: Vec<Option<Front<W>>>,
}

impl<W> Fronts<W> {
    pub(crate) const fn new() -> Self {
        Fronts {
            by_store: Vec::new(),
        }
    }
}

struct Front<W> {
    /// The store's epoch when this front was (re)started.
    epoch: u64,
    entries: Table<W>,
    /// The nodes of the entries this thread used since it last handed its uses to the store's
    /// LRU order (bounded stores only). Kept when the front is emptied by a removal.
    uses: Vec<Use>,
}

/// What a front knows of one entry: kept small (with its key, one cache line), as a thread
/// that cycles over many keys reads them from beyond the L1 cache.
struct Near<W> {
    value: W,
    stored_at: u64,
}

/// A store's side of its fronts: its index among stores and its removal epoch. On a cache line
/// of its own: every front hit reads it, and the store's counters beside it change on every
/// miss.
#[repr(align(64))]
pub(crate) struct Epoch {
    index: usize,
    removals: AtomicU64,
}

impl Epoch {
    pub(crate) fn new() -> Self {
        static NEXT_INDEX: AtomicUsize = AtomicUsize::new(0);
        Epoch {
            index: NEXT_INDEX.fetch_add(1, Ordering::Relaxed),
            removals: AtomicU64::new(0),
        }
    }

    /// The epoch to fill fronts under: read before the entry is looked up or stored.
    #[inline]
    pub(crate) fn current(&self) -> u64 {
        self.removals.load(Ordering::Acquire)
    }

    /// Invalidates every front of the store. Call after an entry left the map and before its
    /// value is released.
    pub(crate) fn bump(&self) {
        self.removals.fetch_add(1, Ordering::Release);
    }

    /// Runs `f` on what the current thread's front holds of `key`'s value, with the time it was
    /// stored, if it holds it under the current epoch.
    ///
    /// `f` runs while the front is borrowed: it may look up other keys (a value's
    /// `Deserialize` may call cached functions), but what it finds is not remembered.
    ///
    /// Always inlined: it is most of a hit, and called out of line its key and result go
    /// through memory.
    #[inline(always)]
    pub(crate) fn get<V: Shared, R>(
        &self,
        key: &Key,
        f: impl FnOnce(&V::Near, u64, u32) -> Option<R>,
    ) -> Option<R> {
        let current = self.current();
        V::with_fronts(|fronts| {
            let stale = {
                let borrowed = fronts.try_borrow().ok()?;
                let front = borrowed.by_store.get(self.index)?.as_ref()?;
                if front.epoch == current {
                    let (near, node) = front.entries.get(key)?;
                    return f(&near.value, near.stored_at, node);
                }
                true
            };
            if stale {
                self.forget(fronts, current);
            }
            None
        })?
    }

    /// Empties the current thread's front of this store, stale since a removal, so that what it
    /// holds (small data values, strongly) is freed on the thread's next call, not its next fill.
    /// The uses it noted stay, for the store's LRU order.
    #[cold]
    fn forget<W>(&self, fronts: &RefCell<Fronts<W>>, current: u64) {
        if let Ok(mut fronts) = fronts.try_borrow_mut()
            && let Some(Some(front)) = fronts.by_store.get_mut(self.index)
        {
            front.entries = Table::new();
            front.epoch = current;
        }
    }

    /// Notes that this thread used the entry at `node` (of a bounded store). Returns the noted
    /// uses, in order, once there are [`BUFFERED_USES`](super::recency::BUFFERED_USES) of them,
    /// for the store to replay; `None` while the buffer has room (or the thread's locals are
    /// gone, when the use is not noted).
    #[inline]
    pub(crate) fn note_use<V: Shared>(&self, node: u32) -> Option<Vec<Use>> {
        V::with_fronts(|fronts| {
            let mut fronts = fronts.try_borrow_mut().ok()?;
            let front = self.front_mut(&mut fronts, self.current());
            front.uses.push(Use {
                node,
                tick: super::recency::tick(),
            });
            (front.uses.len() >= super::recency::BUFFERED_USES)
                .then(|| std::mem::take(&mut front.uses))
        })?
    }

    /// Takes the uses this thread noted and has not handed over yet, in order.
    pub(crate) fn take_uses<V: Shared>(&self) -> Vec<Use> {
        V::with_fronts(|fronts| {
            let mut fronts = fronts.try_borrow_mut().ok()?;
            let front = fronts.by_store.get_mut(self.index)?.as_mut()?;
            Some(std::mem::take(&mut front.uses))
        })
        .flatten()
        .unwrap_or_default()
    }

    /// The current thread's front of this store, started under `epoch` if there is none.
    fn front_mut<'f, W>(&self, fronts: &'f mut Fronts<W>, epoch: u64) -> &'f mut Front<W> {
        if fronts.by_store.len() <= self.index {
            fronts.by_store.resize_with(self.index + 1, || None);
        }
        fronts.by_store[self.index].get_or_insert_with(|| Front {
            epoch,
            entries: Table::new(),
            uses: Vec::new(),
        })
    }

    /// Remembers `value` as `key`'s in the current thread's front, if `epoch` (read before the
    /// entry was found or stored) is not older than the front's; a front of an older epoch is
    /// emptied first.
    pub(crate) fn fill<V: Shared>(
        &self,
        epoch: u64,
        key: Key,
        value: &V,
        stored_at: u64,
        node: u32,
    ) {
        let Some(near) = value.near() else {
            return;
        };
        V::with_fronts(|fronts| {
            let Ok(mut fronts) = fronts.try_borrow_mut() else {
                return;
            };
            let front = self.front_mut(&mut fronts, epoch);
            if epoch < front.epoch {
                return; // found before a removal this thread has already seen
            }
            if front.epoch < epoch {
                front.entries = Table::new();
                front.epoch = epoch;
            }
            let near = Near {
                value: near,
                stored_at,
            };
            front.entries.insert(key, node, near);
        });
    }
}

/// A front's keys: open addressing with linear probing, at most half full, never shrinking
/// one key at a time (a front is only ever emptied whole), so a probe stops at the first
/// empty slot. Unlike a general map it hashes inline and reads one slot (key and value side
/// by side) per probe, which is most of a hit's cost when a thread cycles over many keys.
struct Table<W> {
    slots: Box<[Slot<W>]>,
    len: usize,
    /// Per table, so that keys crafted to collide in one process do not in another.
    seed: KeyHasherBuilder,
}

/// One cache line exactly: aligned, so that no slot straddles two lines (a table from the
/// allocator is only 16-byte aligned, and slots straddling lines made a probe two misses).
#[repr(align(64))]
struct Slot<W> {
    key: Key,
    /// The entry's node in a bounded store's LRU order (in the key's padding).
    node: u32,
    near: Option<Near<W>>,
}

impl<W> Table<W> {
    /// The first allocation: a front usually serves few keys.
    const MIN_SLOTS: usize = 16;

    fn new() -> Self {
        Table {
            slots: Box::new([]),
            len: 0,
            seed: KeyHasherBuilder::default(),
        }
    }

    #[inline]
    fn get(&self, key: &Key) -> Option<(&Near<W>, u32)> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = key.fold(&self.seed) as usize & mask;
        loop {
            let slot = &self.slots[i];
            let near = slot.near.as_ref()?;
            if slot.key == *key {
                return Some((near, slot.node));
            }
            i = (i + 1) & mask;
        }
    }

    /// Inserts `key`, or replaces its value. A table that holds [`CAPACITY`] keys takes a new
    /// one only in place of the key in its home slot (and not at all if that slot is empty):
    /// the table never gets fuller than half, so every probe still ends at an empty slot.
    fn insert(&mut self, key: Key, node: u32, near: Near<W>) {
        let full = self.len >= CAPACITY;
        if !full && 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let home = key.fold(&self.seed) as usize & mask;
        let mut i = home;
        loop {
            let slot = &mut self.slots[i];
            match &slot.near {
                Some(_) if slot.key == key => {
                    slot.node = node;
                    break slot.near = Some(near);
                }
                Some(_) => i = (i + 1) & mask,
                None if full => {
                    let home = &mut self.slots[home];
                    if home.near.is_some() {
                        *home = Slot {
                            key,
                            node,
                            near: Some(near),
                        };
                    }
                    break;
                }
                None => {
                    *slot = Slot {
                        key,
                        node,
                        near: Some(near),
                    };
                    break self.len += 1;
                }
            }
        }
    }

    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(Self::MIN_SLOTS);
        let empty = (0..size).map(|_| Slot {
            key: Key::EMPTY,
            node: super::recency::NIL,
            near: None,
        });
        let old = std::mem::replace(&mut self.slots, empty.collect());
        self.len = 0;
        for slot in old {
            if let Some(near) = slot.near {
                self.insert(slot.key, slot.node, near);
            }
        }
    }
}

/// The epoch protocol under `loom`, which runs each model in every interleaving its threads
/// allow: `RUSTFLAGS="--cfg loom" cargo test -p fncache-runtime --lib --release loom`
/// (`.ci/run` does). The map is a mutex over one entry, as a shard of the real map is.
#[cfg(all(test, loom))]
mod loom_models {
    use std::cell::RefCell;

    use loom::sync::{Arc, Mutex};

    use super::*;
    use crate::key::KeyWriter;
    use crate::store::recency::NIL;

    #[derive(Clone, Debug, PartialEq)]
    struct Probe(u64);

    impl Shared for Probe {
        type Near = u64;

        fn near(&self) -> Option<u64> {
            Some(self.0)
        }

        fn addr(&self) -> *const () {
            std::ptr::null()
        }

        fn weight(&self) -> u64 {
            0
        }

        fn with_fronts<R>(f: impl FnOnce(&RefCell<Fronts<u64>>) -> R) -> Option<R> {
            loom::thread_local! {
                static FRONTS: RefCell<Fronts<u64>> = RefCell::new(Fronts::new());
            }
            Some(FRONTS.with(f))
        }
    }

    fn key() -> Key {
        KeyWriter::new().arg(&1u64).finish()
    }

    /// What this thread's front serves for the key.
    fn served(epoch: &Epoch) -> Option<u64> {
        epoch.get::<Probe, _>(&key(), |&value, _, _| Some(value))
    }

    /// A lookup through the map: the epoch read first, then the entry, then the fill.
    fn look_up(epoch: &Epoch, map: &Mutex<Option<Probe>>) {
        let current = epoch.current();
        let found = map.lock().expect("not poisoned").clone();
        if let Some(value) = found {
            epoch.fill(current, key(), &value, 0, NIL);
        }
    }

    /// A removal: the entry out of the map, then the bump.
    fn remove(epoch: &Epoch, map: &Mutex<Option<Probe>>) {
        let taken = map.lock().expect("not poisoned").take();
        epoch.bump();
        let _released = taken;
    }

    /// A lookup that found the entry just before another thread removed it fills its front
    /// under the older epoch, so once the removal returned, the front serves nothing.
    #[test]
    fn loom_a_fill_racing_a_removal_is_not_served_after_it() {
        loom::model(|| {
            let epoch = Arc::new(Epoch::new());
            let map = Arc::new(Mutex::new(Some(Probe(7))));
            let remover = {
                let (epoch, map) = (epoch.clone(), map.clone());
                loom::thread::spawn(move || remove(&epoch, &map))
            };
            look_up(&epoch, &map);
            remover.join().expect("the remover ran");
            assert_eq!(served(&epoch), None);
        });
    }

    /// The regression `clear_entry_racing_a_clear_leaves_no_value_in_a_front`, in every
    /// interleaving: a clear on another thread has taken the entry out and may not have bumped
    /// yet; this thread's `clear_entry` finds nothing, bumps all the same, and its next call
    /// gets nothing from its front.
    #[test]
    fn loom_clear_entry_racing_a_clear_leaves_no_value_in_a_front() {
        loom::model(|| {
            let epoch = Arc::new(Epoch::new());
            let map = Arc::new(Mutex::new(Some(Probe(7))));
            look_up(&epoch, &map);
            assert_eq!(served(&epoch), Some(7), "a lookup fills the front");
            let clear = {
                let (epoch, map) = (epoch.clone(), map.clone());
                loom::thread::spawn(move || remove(&epoch, &map))
            };
            remove(&epoch, &map); // `clear_entry` of the same key
            assert_eq!(served(&epoch), None, "the removed value was served");
            clear.join().expect("the clear ran");
        });
    }

    /// A lookup on another thread racing this thread's lookup and removal: whatever the order,
    /// once the removal returned this thread's front serves nothing, and a lookup after it
    /// fills nothing.
    #[test]
    fn loom_a_removal_with_another_thread_looking_up() {
        loom::model(|| {
            let epoch = Arc::new(Epoch::new());
            let map = Arc::new(Mutex::new(Some(Probe(7))));
            let other = {
                let (epoch, map) = (epoch.clone(), map.clone());
                loom::thread::spawn(move || look_up(&epoch, &map))
            };
            look_up(&epoch, &map);
            remove(&epoch, &map);
            assert_eq!(served(&epoch), None);
            look_up(&epoch, &map);
            assert_eq!(served(&epoch), None);
            other.join().expect("the other lookup ran");
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::key::KeyWriter;

    fn key(x: u64) -> Key {
        KeyWriter::new().arg(&x).finish()
    }

    fn long_key(x: u64) -> Key {
        KeyWriter::new().arg(&format!("{x:040}")).finish()
    }

    #[test]
    fn a_table_finds_every_key_it_holds_and_no_other() {
        let mut table = Table::new();
        let half = CAPACITY as u64 / 2;
        for x in 0..half {
            table.insert(
                key(x),
                0,
                Near {
                    value: x,
                    stored_at: x + 1,
                },
            );
            table.insert(
                long_key(x),
                0,
                Near {
                    value: x + 10_000,
                    stored_at: 0,
                },
            );
        }
        assert_eq!(table.len, CAPACITY);
        assert!(table.slots.len() >= 2 * table.len);
        for x in 0..half {
            let (near, _) = table.get(&key(x)).expect("inserted");
            assert_eq!((near.value, near.stored_at), (x, x + 1));
            assert_eq!(
                table.get(&long_key(x)).expect("inserted").0.value,
                x + 10_000
            );
        }
        assert!(table.get(&key(half)).is_none());
        assert!(table.get(&long_key(half)).is_none());
        assert!(Table::<u64>::new().get(&key(0)).is_none());
    }

    #[test]
    fn a_full_table_replaces_keys_and_never_fills_up() {
        let mut table = Table::new();
        let cap = CAPACITY as u64;
        for x in 0..cap {
            table.insert(
                key(x),
                0,
                Near {
                    value: x,
                    stored_at: 0,
                },
            );
        }
        let slots = table.slots.len();
        let mut taken = 0;
        for x in cap..8 * cap {
            table.insert(
                key(x),
                0,
                Near {
                    value: x,
                    stored_at: 0,
                },
            );
            taken += usize::from(table.get(&key(x)).is_some());
            assert_eq!(table.len, CAPACITY);
            assert_eq!(table.slots.len(), slots, "no growth past the capacity");
        }
        assert!(taken > 0, "new keys do get in");
        // Never more than half full, so a probe for an absent key ends; every key still found
        // has its own value, and exactly as many are found as are held.
        let occupied = table.slots.iter().filter(|s| s.near.is_some()).count();
        assert_eq!(occupied, CAPACITY);
        let mut found = 0;
        for x in 0..9 * cap {
            if let Some((near, _)) = table.get(&key(x)) {
                assert_eq!(near.value, x);
                found += 1;
            }
        }
        assert_eq!(found, CAPACITY);
    }

    #[test]
    fn a_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Slot<Arc<[u8]>>>(), 64);
        assert_eq!(
            std::mem::size_of::<Slot<std::sync::Weak<dyn std::any::Any>>>(),
            64
        );
        let mut table = Table::new();
        table.insert(
            key(1),
            0,
            Near {
                value: 1u64,
                stored_at: 0,
            },
        );
        assert_eq!(table.slots.as_ptr() as usize % 64, 0);
    }

    #[test]
    fn inserting_a_key_again_replaces_its_value() {
        let mut table = Table::new();
        table.insert(
            key(1),
            0,
            Near {
                value: "old",
                stored_at: 0,
            },
        );
        table.insert(
            key(1),
            0,
            Near {
                value: "new",
                stored_at: 0,
            },
        );
        assert_eq!(table.len, 1);
        assert_eq!(table.get(&key(1)).expect("inserted").0.value, "new");
    }

    fn bytes(text: &str) -> Arc<[u8]> {
        Arc::from(text.as_bytes())
    }

    fn seen(epoch: &Epoch, key: &Key) -> Option<Vec<u8>> {
        epoch.get::<Arc<[u8]>, _>(key, |value, _, _| Some(value.to_vec()))
    }

    #[test]
    fn a_front_serves_what_it_was_filled_with_until_a_removal() {
        let epoch = Epoch::new();
        let e = epoch.current();
        epoch.fill(e, key(1), &bytes("one"), 0, 0);
        epoch.fill(e, key(2), &bytes("two"), 0, 0);
        assert_eq!(seen(&epoch, &key(1)).as_deref(), Some(&b"one"[..]));
        assert_eq!(seen(&epoch, &key(3)), None);

        epoch.bump();
        assert_eq!(
            seen(&epoch, &key(1)),
            None,
            "a removal invalidates the whole front"
        );
        assert_eq!(seen(&epoch, &key(2)), None);

        // A fill under the new epoch starts the front over: the old entries are gone for good.
        let e2 = epoch.current();
        epoch.fill(e2, key(2), &bytes("two again"), 0, 0);
        assert_eq!(seen(&epoch, &key(2)).as_deref(), Some(&b"two again"[..]));
        assert_eq!(seen(&epoch, &key(1)), None);
    }

    #[test]
    fn a_fill_that_raced_with_a_removal_is_never_served() {
        let epoch = Epoch::new();
        let before = epoch.current();
        // The entry was found under `before`, then removed (and the epoch bumped) before
        // the finder got to fill its front.
        epoch.bump();
        epoch.fill(before, key(1), &bytes("removed"), 0, 0);
        assert_eq!(seen(&epoch, &key(1)), None);
    }

    #[test]
    fn fronts_are_per_thread_and_per_store() {
        let (a, b) = (Epoch::new(), Epoch::new());
        a.fill(a.current(), key(1), &bytes("a"), 0, 0);
        assert_eq!(seen(&b, &key(1)), None);
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(seen(&a, &key(1)), None));
        });
        assert_eq!(seen(&a, &key(1)).as_deref(), Some(&b"a"[..]));
    }

    #[test]
    fn a_stale_front_lets_go_of_its_data_on_the_next_lookup() {
        let epoch = Epoch::new();
        let value = bytes("held");
        epoch.fill(epoch.current(), key(1), &value, 0, 0);
        assert_eq!(
            Arc::strong_count(&value),
            2,
            "the front holds data strongly"
        );
        epoch.bump();
        assert_eq!(seen(&epoch, &key(2)), None, "any lookup in the store");
        assert_eq!(Arc::strong_count(&value), 1, "the stale front is gone");
    }

    #[test]
    fn large_data_stays_out_of_fronts() {
        let epoch = Epoch::new();
        let big: Arc<[u8]> = vec![7u8; 4096].into();
        epoch.fill(epoch.current(), key(1), &big, 0, 0);
        assert_eq!(seen(&epoch, &key(1)), None);
    }
}
