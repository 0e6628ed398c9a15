//! `#[cache_resource]`: one shared `Arc<T>` per key, never copied.
//!
//! The store is type-erased (`Arc<dyn Any + Send + Sync>`), so that one `static` serves every
//! instantiation of a generic function; a hit downcasts back to `T`, and a value of another
//! type (only possible if two types share a name, see `KeyWriter::ty`) is a miss, never a
//! wrong value.

use std::any::Any;
use std::cell::RefCell;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock, Weak};

use crate::bounds::Resource;
use crate::budget;
use crate::key::Key;
use crate::options::{FnId, Options};
use crate::progress::{self, Spinner};
use crate::registry::{self, Clear};
use crate::store::front::{Fronts, Shared};
use crate::store::{Lookup, Store, Ticket};

type AnyValue = dyn Any + Send + Sync;
type ReleaseFn = Arc<dyn Fn(&AnyValue) + Send + Sync>;

/// A stored resource, with the `on_release` of the call that computed it.
#[derive(Clone)]
pub(crate) struct Held {
    value: Arc<AnyValue>,
    release: Option<ReleaseFn>,
    /// What `weigh` said of the value when it was stored (0 without `weigh`).
    weight: u64,
}

impl Shared for Held {
    type Near = Weak<AnyValue>;

    fn near(&self) -> Option<Self::Near> {
        Some(Arc::downgrade(&self.value))
    }

    fn addr(&self) -> *const () {
        Arc::as_ptr(&self.value).cast()
    }

    fn weight(&self) -> u64 {
        self.weight
    }

    #[inline]
    fn with_fronts<R>(f: impl FnOnce(&RefCell<Fronts<Self::Near>>) -> R) -> Option<R> {
        thread_local! {
            static FRONTS: RefCell<Fronts<Weak<AnyValue>>> = const { RefCell::new(Fronts::new()) };
        }
        FRONTS.try_with(f).ok()
    }
}

/// A resource function's `validate`, `on_release` and `weigh`, typed by its value.
///
/// Built on every call (a path or a closure costs nothing to build), because a generic function
/// has one value type per instantiation.
pub struct Hooks<T, V = fn(&T) -> bool, R = fn(&T), W = fn(&T) -> usize> {
    validate: Option<V>,
    on_release: Option<R>,
    weigh: Option<W>,
    value: PhantomData<fn(&T)>,
}

impl<T> Hooks<T> {
    /// No `validate`, no `on_release`, no `weigh`.
    #[inline]
    pub fn new() -> Self {
        Hooks {
            validate: None,
            on_release: None,
            weigh: None,
            value: PhantomData,
        }
    }
}

impl<T> Default for Hooks<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, V, R, W> Hooks<T, V, R, W> {
    /// Checked on every hit; `false` (or a panic) drops the entry and computes a new one.
    #[inline]
    pub fn validate<F: Fn(&T) -> bool>(self, validate: F) -> Hooks<T, F, R, W> {
        Hooks {
            validate: Some(validate),
            on_release: self.on_release,
            weigh: self.weigh,
            value: PhantomData,
        }
    }

    /// Called once for every value that leaves the cache.
    #[inline]
    pub fn on_release<F: Fn(&T) + Send + Sync + 'static>(self, on_release: F) -> Hooks<T, V, F, W> {
        Hooks {
            validate: self.validate,
            on_release: Some(on_release),
            weigh: self.weigh,
            value: PhantomData,
        }
    }

    /// What a value weighs in bytes, as `max_size` counts it: called once, when the value is
    /// stored (a panic counts as 0 and is reported).
    #[inline]
    pub fn weigh<F: Fn(&T) -> usize>(self, weigh: F) -> Hooks<T, V, R, F> {
        Hooks {
            validate: self.validate,
            on_release: self.on_release,
            weigh: Some(weigh),
            value: PhantomData,
        }
    }
}

/// The cache of one `#[cache_resource]` function, kept in a `static` beside it.
pub struct ResourceCache {
    id: FnId,
    state: OnceLock<State>,
}

/// What a miss of the front comes to, see [`ResourceCache::settle`].
enum Settled<'s, T> {
    Value(Arc<T>),
    /// The value failed `validate` and was removed: look again.
    Again,
    Compute(Ticket<'s, Held>),
    /// Compute, and store nothing.
    Plain,
}

struct State {
    store: Store<Held>,
    spinner: Spinner,
}

impl ResourceCache {
    /// An empty cache for the function `id`; its options are read on first use.
    pub const fn new(id: FnId) -> Self {
        ResourceCache {
            id,
            state: OnceLock::new(),
        }
    }

    /// The function's identity.
    pub fn id(&self) -> &FnId {
        &self.id
    }

    /// Returns the shared value for `key`, or runs `compute` and shares what it returns.
    #[inline]
    pub fn get<T, V, R, W>(
        &'static self,
        options: impl FnOnce() -> Options,
        hooks: Hooks<T, V, R, W>,
        key: Key,
        compute: impl FnOnce() -> T,
    ) -> Arc<T>
    where
        T: Resource,
        V: Fn(&T) -> bool,
        R: Fn(&T) + Send + Sync + 'static,
        W: Fn(&T) -> usize,
    {
        match self.get_or_err(options, hooks, key, || Ok::<T, Infallible>(compute())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get`](Self::get) for a function returning `Result`: an `Err` is returned and not cached.
    #[inline]
    pub fn get_or_err<T, E, V, R, W>(
        &'static self,
        options: impl FnOnce() -> Options,
        hooks: Hooks<T, V, R, W>,
        key: Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Resource,
        V: Fn(&T) -> bool,
        R: Fn(&T) + Send + Sync + 'static,
        W: Fn(&T) -> usize,
    {
        let state = self.state(options, hooks.weigh.is_some());
        if let Some(value) = self.peek(state, &hooks, &key) {
            return Ok(value);
        }
        self.beyond_front(state, hooks, key, compute)
    }

    /// Everything of [`get_or_err`](Self::get_or_err) but the front hit, kept out of line so
    /// that the hit inlined into the caller is small, and so that the caller's frame, which
    /// each level of a memoized recursion pays for, is not shaped by the miss path.
    #[inline(never)]
    fn beyond_front<T, E, V, R, W>(
        &'static self,
        state: &'static State,
        hooks: Hooks<T, V, R, W>,
        key: Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Resource,
        V: Fn(&T) -> bool,
        R: Fn(&T) + Send + Sync + 'static,
        W: Fn(&T) -> usize,
    {
        loop {
            match self.settle(state, &hooks, key, state.store.lookup(key)) {
                Settled::Value(value) => return Ok(value),
                Settled::Again => {}
                Settled::Compute(ticket) => {
                    let value = Arc::new(progress::run(&self.id, &state.spinner, compute)?);
                    self.keep(ticket, hooks, &value);
                    return Ok(value);
                }
                Settled::Plain => return compute().map(Arc::new),
            }
        }
    }

    /// What a lookup that missed the front comes to, the same for both kinds of wait: a value
    /// that passed `validate`, another look (it failed, and was removed), the duty to compute
    /// and store one, or to compute without the cache (a value of another type was handed over).
    #[inline(never)]
    fn settle<'s, T, V, R, W>(
        &self,
        state: &'s State,
        hooks: &Hooks<T, V, R, W>,
        key: Key,
        lookup: Lookup<'s, Held>,
    ) -> Settled<'s, T>
    where
        T: Resource,
        V: Fn(&T) -> bool,
    {
        match lookup {
            Lookup::Hit(held) => match self.accept(hooks, held.value) {
                Ok(value) => Settled::Value(value),
                Err(rejected) => {
                    state.remove_rejected(key, rejected);
                    Settled::Again
                }
            },
            Lookup::Fresh(value) => match value.value.downcast::<T>() {
                Ok(value) => Settled::Value(value),
                Err(_) => Settled::Plain,
            },
            Lookup::Compute(ticket) => Settled::Compute(ticket),
            Lookup::Bypass => Settled::Plain,
        }
    }

    /// Stores a computed value under its ticket, with the call's `on_release` and what `weigh`
    /// says of it. Out of line, as is [`settle`](Self::settle), so that neither shapes the
    /// frame that stays below a computation.
    #[inline(never)]
    fn keep<T, V, R, W>(&self, ticket: Ticket<'_, Held>, hooks: Hooks<T, V, R, W>, value: &Arc<T>)
    where
        T: Resource,
        R: Fn(&T) + Send + Sync + 'static,
        W: Fn(&T) -> usize,
    {
        let weight = self.weigh(&**value, hooks.weigh);
        ticket.fulfil(held(value, hooks.on_release, weight));
    }

    /// The `async fn` form of [`get_or_err`](Self::get_or_err): concurrent awaits of one key run
    /// `compute` once; if the task computing it is dropped, a waiting task takes over.
    pub async fn get_or_err_async<T, E, V, R, W>(
        &'static self,
        options: impl FnOnce() -> Options,
        hooks: Hooks<T, V, R, W>,
        key: Key,
        compute: impl AsyncFnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Resource,
        V: Fn(&T) -> bool,
        R: Fn(&T) + Send + Sync + 'static,
        W: Fn(&T) -> usize,
    {
        let state = self.state(options, hooks.weigh.is_some());
        if let Some(value) = self.peek(state, &hooks, &key) {
            return Ok(value);
        }
        loop {
            match self.settle(state, &hooks, key, state.store.lookup_async(key).await) {
                Settled::Value(value) => return Ok(value),
                Settled::Again => {}
                Settled::Compute(ticket) => {
                    let computing = progress::run_async(&self.id, &state.spinner, compute());
                    let value = Arc::new(ticket.computing(computing).await?);
                    self.keep(ticket, hooks, &value);
                    return Ok(value);
                }
                Settled::Plain => return compute().await.map(Arc::new),
            }
        }
    }

    /// The `async fn` form of [`get`](Self::get).
    pub async fn get_async<T, V, R, W>(
        &'static self,
        options: impl FnOnce() -> Options,
        hooks: Hooks<T, V, R, W>,
        key: Key,
        compute: impl AsyncFnOnce() -> T,
    ) -> Arc<T>
    where
        T: Resource,
        V: Fn(&T) -> bool,
        R: Fn(&T) + Send + Sync + 'static,
        W: Fn(&T) -> usize,
    {
        let compute = async || Ok::<T, Infallible>(compute().await);
        match self.get_or_err_async(options, hooks, key, compute).await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Drops every entry, releasing each value.
    pub fn clear(&'static self) {
        if let Some(state) = self.state.get() {
            state.store.clear();
        }
    }

    /// Drops the entry for `key`, releasing its value.
    pub fn clear_entry(&'static self, key: Key) {
        if let Some(state) = self.state.get() {
            state.store.clear_entry(key);
        }
    }

    /// How many values the cache holds.
    pub fn len(&'static self) -> usize {
        self.state.get().map_or(0, |state| state.store.len())
    }

    /// Whether the cache holds no value.
    pub fn is_empty(&'static self) -> bool {
        self.len() == 0
    }

    /// The hit path: `key`'s value from the thread's front of the store, if it is there and
    /// passes `validate` (run outside the front, as it may call cached functions). A value
    /// that fails is dropped, and `None` sends the caller on to the store.
    #[inline]
    fn peek<T: Resource, V: Fn(&T) -> bool, R, W>(
        &self,
        state: &State,
        hooks: &Hooks<T, V, R, W>,
        key: &Key,
    ) -> Option<Arc<T>> {
        let value = state.store.peek(key, Weak::upgrade)??;
        match self.accept(hooks, value) {
            Ok(value) => Some(value),
            Err(rejected) => {
                state.remove_rejected(*key, rejected);
                None
            }
        }
    }

    /// The hit's value if it has type `T` and passes `validate` (a panic in `validate` fails
    /// it); otherwise the value, still alive, for the caller to remove by its address.
    #[inline(always)]
    fn accept<T: Resource, V: Fn(&T) -> bool, R, W>(
        &self,
        hooks: &Hooks<T, V, R, W>,
        value: Arc<AnyValue>,
    ) -> Result<Arc<T>, Arc<AnyValue>> {
        let value = value.downcast::<T>()?;
        match &hooks.validate {
            None => Ok(value),
            Some(validate) => self.validated(validate, value),
        }
    }

    /// Runs `validate` on a hit, out of the hit path of functions without it.
    fn validated<T: Resource>(
        &self,
        validate: impl Fn(&T) -> bool,
        value: Arc<T>,
    ) -> Result<Arc<T>, Arc<AnyValue>> {
        match catch_unwind(AssertUnwindSafe(|| validate(&value))) {
            Ok(true) => Ok(value),
            Ok(false) => Err(value),
            Err(_) => {
                tracing::warn!(
                    "fncache: `validate` of `{}` panicked; the value is dropped and recomputed",
                    self.id.path
                );
                Err(value)
            }
        }
    }

    /// What `weigh` says of a value about to be stored; 0 without `weigh` or if it panics
    /// (reported).
    fn weigh<T>(&self, value: &T, weigh: Option<impl Fn(&T) -> usize>) -> u64 {
        let Some(weigh) = weigh else { return 0 };
        match catch_unwind(AssertUnwindSafe(|| weigh(value))) {
            Ok(bytes) => bytes as u64,
            Err(_) => {
                tracing::warn!(
                    "fncache: `weigh` of `{}` panicked; the value is counted as 0 bytes",
                    self.id.path
                );
                0
            }
        }
    }

    /// The cache's state, made on the first call; a cache with `weigh` (`weighed`, the same on
    /// every call) is covered by the memory budget.
    #[inline]
    fn state(&'static self, options: impl FnOnce() -> Options, weighed: bool) -> &'static State {
        self.state.get_or_init(|| {
            let options = options();
            registry::RESOURCES.register(self);
            if weighed {
                budget::join(self);
            }
            let release: crate::store::Release<Held> = Box::new(|held: &Held| {
                if let Some(release) = &held.release {
                    release(&*held.value);
                }
            });
            State {
                store: Store::new(options.limits(&self.id, weighed), Some(release)),
                spinner: options.spinner(&self.id),
            }
        })
    }
}

impl State {
    /// Removes a hit that failed `validate` (or had another type) from the store, then lets
    /// go of the caller's handle on it, which may be the last one (its `Drop` then runs here,
    /// a panic in it caught). Still held until then, so its address names it and nothing else.
    fn remove_rejected(&self, key: Key, rejected: Arc<AnyValue>) {
        self.store.remove_value(key, Arc::as_ptr(&rejected).cast());
        self.store.let_go(rejected);
    }
}

/// A value as the store keeps it, with its `on_release` erased to take `&dyn Any`.
fn held<T: Resource, R: Fn(&T) + Send + Sync + 'static>(
    value: &Arc<T>,
    on_release: Option<R>,
    weight: u64,
) -> Held {
    let release = on_release.map(|f| {
        Arc::new(move |value: &AnyValue| {
            if let Some(value) = value.downcast_ref::<T>() {
                f(value);
            }
        }) as ReleaseFn
    });
    Held {
        value: value.clone(),
        release,
        weight,
    }
}

impl Clear for ResourceCache {
    fn clear(&'static self) {
        ResourceCache::clear(self);
    }

    fn clear_entry(&'static self, key: Key) {
        ResourceCache::clear_entry(self, key);
    }

    fn memory(&'static self) -> u64 {
        self.state.get().map_or(0, |state| state.store.bytes())
    }
}

impl budget::Cache for ResourceCache {
    type Value = Held;

    fn store(&'static self) -> Option<&'static Store<Held>> {
        self.state.get().map(|state| &state.store)
    }
}
