//! The process's memory budget: one bound on the bytes of every in-memory `#[cache_data]`
//! cache and every `#[cache_resource]` cache with `weigh`, over and above each function's own
//! `max_entries` and `max_size`.
//!
//! Set it with [`set_memory_budget`] (at any time: a smaller budget evicts at once) or with the
//! `FNCACHE_MAX_MEMORY` environment variable, read when the first cache is first used. Over
//! budget, the least recently used entries across all those caches go first, whichever function
//! they belong to; persisted copies on disk stay.
//!
//! # How entries of different functions are compared
//!
//! Each store keeps its entries in LRU order (see the store's `recency` module), and every entry
//! carries a stamp of its last use from a per-thread Lamport clock: a hit takes its thread's
//! next tick (no shared write), a store takes a tick past every tick seen so far. To make room,
//! the budget looks at the least recently used entry of each member store and evicts the one
//! with the oldest stamp, until the bytes held are within the budget; before it does, the
//! evicting thread hands its own noted hits to every member. So one thread's calls keep their
//! exact order across functions; another thread's hits reach the order at its next store into
//! that cache or after 64 hits, and are compared as of its clock.
//!
//! Stores keep no LRU order until they need one: a store without `max_entries` or `max_size`
//! starts keeping one when a budget is first set (putting its existing entries in it, oldest
//! first by nothing better than the map's order), and its hits note uses from then on.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use crate::key::Key;
use crate::store::Store;
use crate::store::front::Shared;

/// No budget.
const NONE: u64 = u64::MAX;

/// The budget in bytes, [`NONE`] without one.
static LIMIT: AtomicU64 = AtomicU64::new(NONE);

/// Whether a budget was ever set: from then on every member store keeps an LRU order.
static ORDERING: AtomicBool = AtomicBool::new(false);

/// The bytes the member stores hold, counted as `max_size` counts them.
static HELD: AtomicU64 = AtomicU64::new(0);

/// The caches the budget covers, registered on their first use.
static MEMBERS: Mutex<Vec<&'static dyn Member>> = Mutex::new(Vec::new());

/// One thread makes room at a time; another finding it busy leaves the work to it.
static MAKING_ROOM: Mutex<()> = Mutex::new(());

/// Whether a thread found [`MAKING_ROOM`] busy since its holder last looked.
static PENDING: AtomicBool = AtomicBool::new(false);

static ENV_READ: Once = Once::new();

/// Whether the budget's first eviction was reported.
static BIT: AtomicBool = AtomicBool::new(false);

/// The environment variable that sets a budget when the first cache is first used.
pub const ENV_VAR: &str = "FNCACHE_MAX_MEMORY";

/// A cache the budget covers: a store, once the cache was first used.
pub(crate) trait Cache: Sync {
    type Value: Shared;
    fn store(&'static self) -> Option<&'static Store<Self::Value>>;
}

/// A cache the budget covers, as the budget sees it: its value type erased.
pub(crate) trait Member: Sync {
    /// Hands the uses this thread noted of the cache's entries to its LRU order.
    fn hand_over_uses(&'static self);
    /// The use number and key of the least recently used entry, if the cache holds any.
    fn oldest(&'static self) -> Option<(u64, Key)>;
    /// Evicts the least recently used entry and releases it; whether there was one.
    fn evict_oldest(&'static self) -> bool;
    /// Puts the entries that have no place in the LRU order yet into it.
    fn order_all(&'static self);
    /// Where the cache's store is, to tell it apart from others.
    fn store_addr(&'static self) -> *const ();
}

impl<C: Cache> Member for C {
    fn hand_over_uses(&'static self) {
        if let Some(store) = self.store() {
            store.hand_over_uses();
        }
    }

    fn oldest(&'static self) -> Option<(u64, Key)> {
        self.store()?.oldest()
    }

    fn evict_oldest(&'static self) -> bool {
        self.store().is_some_and(Store::evict_oldest)
    }

    fn order_all(&'static self) {
        if let Some(store) = self.store() {
            store.order_all();
        }
    }

    fn store_addr(&'static self) -> *const () {
        self.store()
            .map_or(std::ptr::null(), |store| std::ptr::from_ref(store).cast())
    }
}

/// Why a text is not a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError {
    text: String,
    why: String,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a memory budget: {}; write a positive number of bytes or a number and a \
             unit, `B`, `KB`, `MB`, `GB`, `TB` (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` \
             (powers of 1024), such as `2GiB` or `500MB`",
            self.text, self.why
        )
    }
}

impl std::error::Error for SizeError {}

/// What [`set_memory_budget`] takes: a number of bytes, or a size such as `"2GiB"`.
pub trait ByteSize: private::Sealed {
    /// The bytes this says.
    fn in_bytes(self) -> Result<u64, SizeError>;
}

mod private {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl Sealed for usize {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
}

impl ByteSize for u64 {
    fn in_bytes(self) -> Result<u64, SizeError> {
        match self {
            0 => Err(SizeError {
                text: "0".into(),
                why: "a budget of zero bytes would hold nothing".into(),
            }),
            bytes => Ok(bytes),
        }
    }
}

impl ByteSize for usize {
    fn in_bytes(self) -> Result<u64, SizeError> {
        (self as u64).in_bytes()
    }
}

impl ByteSize for &str {
    fn in_bytes(self) -> Result<u64, SizeError> {
        let error = |why| SizeError {
            text: self.to_owned(),
            why,
        };
        let text = self.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<u64>()
                .map_err(|_| error("the number is too large".into()))?
                .in_bytes();
        }
        fncache_units::size::parse(text).map_err(error)
    }
}

impl ByteSize for String {
    fn in_bytes(self) -> Result<u64, SizeError> {
        self.as_str().in_bytes()
    }
}

impl ByteSize for &String {
    fn in_bytes(self) -> Result<u64, SizeError> {
        self.as_str().in_bytes()
    }
}

/// Bounds the bytes that all in-memory caches of the process hold together: every
/// `#[cache_data]` cache and every `#[cache_resource]` cache with `weigh`, counted as
/// `max_size` counts them (see [`memory_used`](crate::memory_used)). Over budget, the least
/// recently used entries across all of them are evicted (a resource's `on_release` runs, as
/// for every eviction), the first time with a warning. Persisted copies on disk stay.
///
/// Takes effect at once: a budget smaller than what the caches hold evicts before it returns.
/// It replaces a budget set before, by this or by `FNCACHE_MAX_MEMORY`. A value larger than
/// the budget on its own is returned and kept alone, as with `max_size`.
///
/// ```
/// fncache_runtime::set_memory_budget("2GiB")?;
/// assert_eq!(fncache_runtime::memory_budget(), Some(2 << 30));
/// fncache_runtime::set_memory_budget(500_000_000u64)?;
/// assert!(fncache_runtime::set_memory_budget("2 parsecs").is_err());
/// fncache_runtime::remove_memory_budget();
/// # Ok::<(), fncache_runtime::SizeError>(())
/// ```
pub fn set_memory_budget(budget: impl ByteSize) -> Result<(), SizeError> {
    let bytes = budget.in_bytes()?;
    read_env();
    set(bytes);
    Ok(())
}

/// Removes the memory budget: each cache is bounded by its own options only. (Caches that
/// started keeping an LRU order for the budget keep it, and their hits go on noting uses.)
pub fn remove_memory_budget() {
    read_env();
    LIMIT.store(NONE, Ordering::Relaxed);
}

/// The memory budget in bytes, if there is one.
pub fn memory_budget() -> Option<u64> {
    read_env();
    match LIMIT.load(Ordering::Relaxed) {
        NONE => None,
        bytes => Some(bytes),
    }
}

fn set(bytes: u64) {
    start_ordering();
    LIMIT.store(bytes, Ordering::Relaxed);
    make_room(None);
}

/// Makes every member keep an LRU order, putting in it the entries they hold already.
fn start_ordering() {
    // Before the members' maps are read: a store that reads `false` under a slot's lock did
    // so before `order_all` reads that slot, and `order_all` puts its entry in the order.
    if !ORDERING.swap(true, Ordering::SeqCst) {
        for member in members() {
            member.order_all();
        }
    }
}

/// Reads `FNCACHE_MAX_MEMORY`, once: a bad value is reported and sets no budget.
fn read_env() {
    ENV_READ.call_once(|| {
        let Some(value) = std::env::var_os(ENV_VAR) else {
            return;
        };
        match value.to_str().map(ByteSize::in_bytes) {
            Some(Ok(bytes)) => set(bytes),
            Some(Err(error)) => {
                tracing::warn!("fncache: {ENV_VAR} is ignored: {error}");
            }
            None => tracing::warn!("fncache: {ENV_VAR} is ignored: it is not valid UTF-8"),
        }
    });
}

/// Registers a cache on its first use; the first registration reads `FNCACHE_MAX_MEMORY`.
pub(crate) fn join(member: &'static dyn Member) {
    read_env();
    lock(&MEMBERS).push(member);
}

/// Whether member stores keep an LRU order (a budget was set at some point).
#[inline]
pub(crate) fn ordering() -> bool {
    ORDERING.load(Ordering::SeqCst)
}

pub(crate) fn add(bytes: u64) {
    HELD.fetch_add(bytes, Ordering::SeqCst);
}

pub(crate) fn sub(bytes: u64) {
    HELD.fetch_sub(bytes, Ordering::SeqCst);
}

/// After a member stored the entry `key` in the store at `store`: evicts what the budget
/// does not hold, that entry last of all (it stays, alone, if it is over budget by itself).
#[inline]
pub(crate) fn stored(store: *const (), key: Key) {
    if HELD.load(Ordering::SeqCst) > LIMIT.load(Ordering::Relaxed) {
        make_room(Some((store, key)));
    }
}

/// Evicts the least recently used entries across the members until they hold no more than
/// the budget, except `keep`, the entry just stored.
///
/// One thread evicts at a time. Another that finds it busy raises [`PENDING`] and leaves: the
/// busy one looks again after it let go of the lock, so no store is left over budget.
#[cold]
fn make_room(keep: Option<(*const (), Key)>) {
    PENDING.store(true, Ordering::SeqCst);
    let mut keep = keep;
    loop {
        let Ok(room) = MAKING_ROOM.try_lock() else {
            return;
        };
        PENDING.store(false, Ordering::SeqCst);
        evict_until_within(keep);
        drop(room);
        if !PENDING.load(Ordering::SeqCst) {
            return;
        }
        // Another thread's store came in meanwhile: its entry is the newest, so it goes last.
        keep = None;
    }
}

fn evict_until_within(keep: Option<(*const (), Key)>) {
    let members = members();
    for member in &members {
        member.hand_over_uses();
    }
    while HELD.load(Ordering::SeqCst) > LIMIT.load(Ordering::SeqCst) {
        // The entry just stored is the most recent of its store, so it is the oldest there only
        // when it is alone: that store has nothing else to give.
        let oldest = members
            .iter()
            .filter_map(|member| {
                let (stamp, key) = member.oldest()?;
                let kept = keep.is_some_and(|keep| keep == (member.store_addr(), key));
                (!kept).then_some((stamp, member))
            })
            .min_by_key(|&(stamp, _)| stamp);
        let Some((_, member)) = oldest else {
            break;
        };
        if !member.evict_oldest() {
            continue;
        }
        if !BIT.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "fncache: the memory budget of {} bytes is full; the least recently used entries of every cache go first (reported once)",
                LIMIT.load(Ordering::Relaxed)
            );
        }
    }
}

fn members() -> Vec<&'static dyn Member> {
    lock(&MEMBERS).clone()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::key::KeyWriter;
    use crate::store::{Limits, Lookup};

    #[test]
    fn budgets_in_bytes_and_in_units() {
        assert_eq!("2GiB".in_bytes(), Ok(2 << 30));
        assert_eq!(" 500MB ".in_bytes(), Ok(500_000_000));
        assert_eq!("1048576".in_bytes(), Ok(1 << 20));
        assert_eq!(4096u64.in_bytes(), Ok(4096));
        assert_eq!(String::from("1.5KiB").in_bytes(), Ok(1536));
    }

    #[test]
    fn what_is_not_a_budget_says_what_to_write() {
        for bad in [
            "",
            "0",
            "0MB",
            "2 parsecs",
            "-1GB",
            "GiB",
            "99999999999999999999999",
        ] {
            let error = bad.in_bytes().expect_err(bad);
            let message = error.to_string();
            assert!(message.contains("such as `2GiB`"), "{message}");
        }
        assert!(0u64.in_bytes().is_err());
    }

    /// A cache of the model test: a store of its own, covered by the budget.
    struct TestCache(Store<Arc<[u8]>>);

    impl Cache for TestCache {
        type Value = Arc<[u8]>;

        fn store(&'static self) -> Option<&'static Store<Arc<[u8]>>> {
            Some(&self.0)
        }
    }

    fn cache() -> &'static TestCache {
        let limits = Limits {
            ttl: None,
            max_entries: None,
            max_size: None,
            path: "budget model",
            budgeted: true,
        };
        let cache: &'static TestCache = Box::leak(Box::new(TestCache(Store::new(limits, None))));
        join(cache);
        cache
    }

    fn key(k: u64) -> Key {
        KeyWriter::new().arg(&k).finish()
    }

    /// A key's value: from 1 to 300 bytes, so that weights differ.
    fn value(k: u64) -> Arc<[u8]> {
        vec![k as u8; 1 + (k as usize * 53) % 300].into()
    }

    fn weight(k: u64) -> u64 {
        value(k).len() as u64 + crate::ENTRY_OVERHEAD
    }

    /// Whether the call of `k` hit, taking the front first as the caches do.
    fn call(store: &Store<Arc<[u8]>>, k: u64) -> bool {
        if let Some(found) = store.peek(&key(k), |near| near.clone()) {
            assert_eq!(&*found, &*value(k), "a wrong value from the front");
            return true;
        }
        match store.lookup(key(k)) {
            Lookup::Hit(found) => {
                assert_eq!(&*found, &*value(k), "a wrong value");
                true
            }
            Lookup::Compute(ticket) => {
                ticket.fulfil(value(k));
                false
            }
            _ => panic!("one thread never waits or bypasses"),
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Call(usize, u64),
        Clear(usize),
        Budget(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            10 => (0usize..2, 0u64..10).prop_map(|(c, k)| Op::Call(c, k)),
            1 => (0usize..2).prop_map(Op::Clear),
            2 => (1u64..6).prop_map(Op::Budget),
        ]
    }

    /// The entries of both caches, most recently used first, and the budget.
    struct Model {
        entries: Vec<(usize, u64)>,
        budget: u64,
    }

    impl Model {
        fn held(&self) -> u64 {
            self.entries.iter().map(|&(_, k)| weight(k)).sum()
        }

        /// Evicts the oldest entries until the budget holds, never the first `keep`.
        fn make_room(&mut self, keep: usize) {
            while self.held() > self.budget && self.entries.len() > keep {
                self.entries.pop();
            }
        }

        fn call(&mut self, cache: usize, k: u64) -> bool {
            if let Some(at) = self.entries.iter().position(|&e| e == (cache, k)) {
                let entry = self.entries.remove(at);
                self.entries.insert(0, entry);
                return true;
            }
            self.entries.insert(0, (cache, k));
            self.make_room(1);
            false
        }
    }

    /// Serializes the tests that set the process's budget.
    static TURN: Mutex<()> = Mutex::new(());

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Two caches under one budget on one thread, against a single LRU list of both:
        /// the same hits, values and bytes after any sequence of calls, clears and budgets.
        #[test]
        fn two_caches_under_a_budget_are_exactly_one_lru_list(
            ops in proptest::collection::vec(op(), 1..150)
        ) {
            let _turn = lock(&TURN);
            let caches = [cache(), cache()];
            // Four 300-byte entries at most, in units of the budget ops.
            let unit = 300 + crate::ENTRY_OVERHEAD;
            set(2 * unit);
            let mut model = Model { entries: Vec::new(), budget: 2 * unit };
            for op in ops {
                match op {
                    Op::Call(c, k) => {
                        let hit = call(&caches[c].0, k);
                        prop_assert_eq!(hit, model.call(c, k), "call of {} in {}", k, c);
                    }
                    Op::Clear(c) => {
                        caches[c].0.clear();
                        model.entries.retain(|&(cache, _)| cache != c);
                    }
                    Op::Budget(units) => {
                        set(units * unit);
                        model.budget = units * unit;
                        model.make_room(0);
                    }
                }
                for (c, cache) in caches.iter().enumerate() {
                    let expected: u64 = model
                        .entries
                        .iter()
                        .filter(|&&(held, _)| held == c)
                        .map(|&(_, k)| weight(k))
                        .sum();
                    prop_assert_eq!(cache.0.bytes(), expected, "bytes of cache {}", c);
                }
                prop_assert_eq!(HELD.load(Ordering::Relaxed), model.held());
            }
            for cache in caches {
                cache.0.clear();
            }
            LIMIT.store(NONE, Ordering::Relaxed);
        }
    }
}
