//! `#[cache_data]`: values stored encoded, decoded into a fresh copy on every hit.
//!
//! With `persist`, memory is a layer over the persistent store ([`crate::persist`]): a memory
//! miss looks there before computing, and a computed value is written to both.

use std::cell::RefCell;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::bounds::CacheData;
use crate::budget;
use crate::codec::{self, Codec, Exact};
use crate::key::Key;
use crate::options::{FnId, Options};
use crate::persist::{self, Persisted};
use crate::progress::{self, Spinner};
use crate::registry::{self, Clear};
use crate::store::front::{Fronts, Shared};
use crate::store::{Lookup, Store, Ticket};

/// The largest encoded value that threads keep in their fronts. A front holds its bytes
/// strongly, so a removed value stays allocated until its thread uses the store again; large
/// values stay out (their decoding costs far more than the shared lookup anyway).
const FRONT_MAX_BYTES: usize = 512;

impl Shared for Arc<[u8]> {
    type Near = Arc<[u8]>;

    fn near(&self) -> Option<Self::Near> {
        (self.len() <= FRONT_MAX_BYTES).then(|| self.clone())
    }

    fn addr(&self) -> *const () {
        Arc::as_ptr(self).cast()
    }

    fn weight(&self) -> u64 {
        self.len() as u64
    }

    #[inline]
    fn with_fronts<R>(f: impl FnOnce(&RefCell<Fronts<Self::Near>>) -> R) -> Option<R> {
        thread_local! {
            static FRONTS: RefCell<Fronts<Arc<[u8]>>> = const { RefCell::new(Fronts::new()) };
        }
        FRONTS.try_with(f).ok()
    }
}

/// The cache of one `#[cache_data]` function, kept in a `static` beside it (in its companion's
/// accessor, or in a method's body).
pub struct DataCache {
    id: FnId,
    state: OnceLock<State>,
}

/// What a miss of the front comes to, see [`DataCache::settle`].
enum Settled<'s, T> {
    Value(T),
    /// Compute and store under the ticket; the persistent layer's generation, if it persists.
    Compute(Ticket<'s, Arc<[u8]>>, Option<u64>),
    /// Compute, and store nothing.
    Plain,
}

struct State {
    store: Store<Arc<[u8]>>,
    spinner: Spinner,
    /// The persistent layer, when the function persists.
    disk: Option<Persisted>,
    /// Where the encoded value starts in a stored value: after the record header when the
    /// function persists (memory keeps records as they are on disk, so a disk hit is not
    /// copied), at 0 otherwise.
    offset: usize,
    /// Whether a value needed the self-describing codec: later ones go straight to it.
    self_describing: AtomicBool,
    /// Whether a value that cannot be cached has been reported (once per function).
    warned: AtomicBool,
}

impl DataCache {
    /// An empty cache for the function `id`; its options are read on first use.
    pub const fn new(id: FnId) -> Self {
        DataCache {
            id,
            state: OnceLock::new(),
        }
    }

    /// The function's identity.
    pub fn id(&self) -> &FnId {
        &self.id
    }

    /// Returns the cached value for `key`, or runs `compute` and caches what it returns.
    #[inline]
    pub fn get<T: CacheData>(
        &'static self,
        options: impl FnOnce() -> Options,
        exact: Exact<T>,
        key: Key,
        compute: impl FnOnce() -> T,
    ) -> T {
        match self.get_or_err(options, exact, key, || Ok::<T, Infallible>(compute())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get`](Self::get) for a function returning `Result`: an `Err` is returned and not cached.
    ///
    /// It and [`get_or_err_async`](Self::get_or_err_async) share every step (`settle`,
    /// `store`) but how they wait and how they run `compute`.
    #[inline]
    pub fn get_or_err<T: CacheData, E>(
        &'static self,
        options: impl FnOnce() -> Options,
        exact: Exact<T>,
        key: Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let state = self.state(options);
        if let Some(value) = self.peek(state, &key) {
            return Ok(value);
        }
        self.beyond_front(state, exact, key, compute)
    }

    /// Everything of [`get_or_err`](Self::get_or_err) but the front hit, kept out of line so
    /// that the hit inlined into the caller is small: its frame and registers are not shaped
    /// by the miss path.
    #[inline(never)]
    fn beyond_front<T: CacheData, E>(
        &'static self,
        state: &'static State,
        exact: Exact<T>,
        key: Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        match self.settle(state, key, state.store.lookup(key)) {
            Settled::Value(value) => Ok(value),
            Settled::Compute(ticket, generation) => {
                let value = progress::run(&self.id, &state.spinner, compute)?;
                self.store(state, exact, key, ticket, &value, generation);
                Ok(value)
            }
            Settled::Plain => compute(),
        }
    }

    /// What a lookup that missed the front comes to, the same for both kinds of wait: a value
    /// (stored, computed by another caller, or loaded from disk), the duty to compute and
    /// store one, or to compute without the cache.
    #[inline(never)]
    fn settle<'s, T: CacheData>(
        &self,
        state: &'s State,
        key: Key,
        lookup: Lookup<'s, Arc<[u8]>>,
    ) -> Settled<'s, T> {
        let found = match lookup {
            Lookup::Hit(value) => (value, true),
            Lookup::Fresh(value) => (value, false),
            Lookup::Compute(ticket) => {
                let generation = state.disk.as_ref().map(Persisted::generation);
                return match load(state, key, ticket, generation) {
                    Ok(value) => Settled::Value(value),
                    Err(ticket) => Settled::Compute(ticket, generation),
                };
            }
            Lookup::Bypass => return Settled::Plain,
        };
        match self.decode(state, key, found) {
            Some(value) => Settled::Value(value),
            None => Settled::Plain,
        }
    }

    /// The `async fn` form of [`get`](Self::get).
    pub async fn get_async<T: CacheData>(
        &'static self,
        options: impl FnOnce() -> Options,
        exact: Exact<T>,
        key: Key,
        compute: impl AsyncFnOnce() -> T,
    ) -> T {
        let compute = async || Ok::<T, Infallible>(compute().await);
        match self.get_or_err_async(options, exact, key, compute).await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// The `async fn` form of [`get_or_err`](Self::get_or_err): concurrent awaits of one key
    /// run `compute` once; if the task computing it is dropped, a waiting task takes over.
    pub async fn get_or_err_async<T: CacheData, E>(
        &'static self,
        options: impl FnOnce() -> Options,
        exact: Exact<T>,
        key: Key,
        compute: impl AsyncFnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let state = self.state(options);
        if let Some(value) = self.peek(state, &key) {
            return Ok(value);
        }
        match self.settle(state, key, state.store.lookup_async(key).await) {
            Settled::Value(value) => Ok(value),
            Settled::Compute(ticket, generation) => {
                let computing = progress::run_async(&self.id, &state.spinner, compute());
                let value = ticket.computing(computing).await?;
                self.store(state, exact, key, ticket, &value, generation);
                Ok(value)
            }
            Settled::Plain => compute().await,
        }
    }

    /// Encodes a computed value into the store (and into the persistent one, as a record
    /// after a header, unless a clear came since `generation`), or leaves it out if it cannot
    /// be encoded so that it decodes back into itself (see [`codec`]).
    ///
    /// Out of line, as is [`settle`](Self::settle): what they keep on the stack is then no
    /// part of the frame that stays below a computation, which each level of a memoized
    /// recursion pays for.
    #[inline(never)]
    fn store<T: CacheData>(
        &self,
        state: &State,
        exact: Exact<T>,
        key: Key,
        ticket: Ticket<'_, Arc<[u8]>>,
        value: &T,
        generation: Option<u64>,
    ) {
        let positional = !state.self_describing.load(Ordering::Relaxed);
        let encoded = match &state.disk {
            Some(disk) => disk.record(key, value, exact, positional),
            None => {
                let mut bytes = Vec::new();
                codec::encode_stored(value, exact, positional, &mut bytes)
                    .map(|codec| (bytes, codec, false))
            }
        };
        match encoded {
            Ok((bytes, codec, savable)) => {
                if codec == Codec::SelfDescribing && positional {
                    state.self_describing.store(true, Ordering::Relaxed);
                }
                ticket.fulfil(bytes.as_slice().into());
                if let (true, Some(disk), Some(generation)) = (savable, &state.disk, generation) {
                    disk.save(key, &bytes, generation);
                }
            }
            Err(e) => self.uncacheable(state, &e),
        }
    }

    /// Reports, once per function, a value that is not cached.
    #[cold]
    fn uncacheable(&self, state: &State, e: &codec::CodecError) {
        if !state.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "fncache: `{}` returned a value that is not cached: {e}; calls that return such values are computed every time (reported once)",
                self.id.path
            );
        }
    }

    /// The hit path: decodes `key`'s value straight from the thread's front of the store, if it
    /// is there. A value that does not decode is dropped, and `None` sends the caller on to
    /// the store (which then computes it afresh).
    #[inline]
    fn peek<T: CacheData>(&self, state: &State, key: &Key) -> Option<T> {
        // The value is written straight into `found`, and only a small result goes back out
        // through the front: a hit moves the decoded value fewer times (benches/RESULTS.md).
        let mut found = None;
        let failed = state.store.peek(key, |bytes| {
            match codec::decode_stored(&bytes[state.offset..]) {
                Ok(value) => {
                    found = Some(value);
                    None
                }
                Err(e) => Some((e, bytes.addr())),
            }
        })?;
        if let Some((e, addr)) = failed {
            self.undecodable(state, *key, Some(addr), &e);
        }
        found
    }

    /// Decodes a found value into a fresh copy; one that does not decode is dropped (and
    /// `None` makes the caller compute).
    fn decode<T: CacheData>(
        &self,
        state: &State,
        key: Key,
        (bytes, stored): (Arc<[u8]>, bool),
    ) -> Option<T> {
        match codec::decode_stored(&bytes[state.offset..]) {
            Ok(value) => Some(value),
            Err(e) => {
                self.undecodable(state, key, stored.then(|| bytes.addr()), &e);
                None
            }
        }
    }

    /// Drops a stored value that does not decode (if it came from the store: a value handed
    /// over by another caller's computation is not in it), so that a computation replaces it.
    /// `stored` is where the value lives ([`Shared::addr`]), which names it in the store.
    #[cold]
    fn undecodable(
        &self,
        state: &State,
        key: Key,
        stored: Option<*const ()>,
        e: &codec::CodecError,
    ) {
        tracing::warn!(
            "fncache: a cached value of `{}` does not decode ({e}); recomputing",
            self.id.path
        );
        if let Some(addr) = stored {
            state.store.remove_value(key, addr);
        }
    }

    /// Drops every entry, persisted ones included (of every version of the function's code).
    ///
    /// The persistent layer is cleared first, then memory: a miss racing with the clear may
    /// read an old record into memory only before memory is cleared, and a miss after that
    /// finds the persistent layer empty. So no call that starts after `clear` returned sees a
    /// value from before it (computations still running are stored in neither layer).
    pub fn clear(&'static self) {
        match self.state.get() {
            Some(state) => {
                if let Some(disk) = &state.disk {
                    disk.clear();
                }
                state.store.clear();
            }
            // Not used in this process: whether it persists is not known, but its files may be there.
            None => persist::forget_function(&self.id),
        }
    }

    /// Drops the entry for `key`, persisted or not, in the same order as [`clear`](Self::clear).
    pub fn clear_entry(&'static self, key: Key) {
        match self.state.get() {
            Some(state) => {
                if let Some(disk) = &state.disk {
                    disk.clear_entry(key);
                }
                state.store.clear_entry(key);
            }
            None => persist::forget_entry(&self.id, key),
        }
    }

    /// How many entries the cache holds.
    pub fn len(&'static self) -> usize {
        self.state.get().map_or(0, |state| state.store.len())
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&'static self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn state(&'static self, options: impl FnOnce() -> Options) -> &'static State {
        self.state.get_or_init(|| {
            let options = options();
            registry::DATA.register(self);
            budget::join(self);
            let disk = Persisted::new(&self.id, &options);
            State {
                store: Store::new(options.limits(&self.id, true), None),
                spinner: options.spinner(&self.id),
                offset: if disk.is_some() {
                    persist::HEADER_LEN
                } else {
                    0
                },
                disk,
                self_describing: AtomicBool::new(false),
                warned: AtomicBool::new(false),
            }
        })
    }
}

/// On a memory miss, the persisted value of `key`: it refills memory (as old as it is on disk,
/// so its ttl is not extended) and is returned. Without one, the ticket goes back to compute.
///
/// A record read while a clear ran is returned (the call began before the clear returned) but
/// does not refill memory: the generation it was read under is checked as a save checks it.
/// (The order of [`DataCache::clear`] already keeps it out of memory; this keeps it out
/// whatever the order of the layers.)
fn load<'s, T: CacheData>(
    state: &'s State,
    key: Key,
    ticket: Ticket<'s, Arc<[u8]>>,
    generation: Option<u64>,
) -> Result<T, Ticket<'s, Arc<[u8]>>> {
    let Some(disk) = &state.disk else {
        return Err(ticket);
    };
    match disk.load::<T>(key) {
        Some(loaded) if Some(disk.generation()) == generation => {
            ticket.fulfil_aged(loaded.record, loaded.age);
            Ok(loaded.value)
        }
        Some(loaded) => {
            drop(ticket);
            Ok(loaded.value)
        }
        None => Err(ticket),
    }
}

impl Clear for DataCache {
    fn clear(&'static self) {
        DataCache::clear(self);
    }

    fn clear_entry(&'static self, key: Key) {
        DataCache::clear_entry(self, key);
    }

    fn memory(&'static self) -> u64 {
        self.state.get().map_or(0, |state| state.store.bytes())
    }
}

impl budget::Cache for DataCache {
    type Value = Arc<[u8]>;

    fn store(&'static self) -> Option<&'static Store<Arc<[u8]>>> {
        self.state.get().map(|state| &state.store)
    }
}
