//! `#[cache_resource]`: one shared `Arc<T>` per key, never copied.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use crate::bounds::Resource;
use crate::key::Key;
use crate::options::{FnId, Options};
use crate::progress::{self, Spinner};
use crate::registry::{self, Clear};
use crate::store::{Lookup, Store};

type Validate<T> = Box<dyn Fn(&T) -> bool + Send + Sync>;

/// The cache of one `#[cache_resource]` function, kept in a `static` in its companion module.
pub struct ResourceCache<T: Resource> {
    id: FnId,
    state: OnceLock<State<T>>,
}

struct State<T: Resource> {
    store: Store<Arc<T>>,
    spinner: Spinner,
    validate: Option<Validate<T>>,
}

impl<T: Resource> ResourceCache<T> {
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
    pub fn get(
        &'static self,
        options: impl FnOnce() -> Options<T>,
        key: Key,
        compute: impl FnOnce() -> T,
    ) -> Arc<T> {
        match self.get_or_err(options, key, || Ok::<T, Infallible>(compute())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get`](Self::get) for a function returning `Result`: an `Err` is returned and not cached.
    #[inline]
    pub fn get_or_err<E>(
        &'static self,
        options: impl FnOnce() -> Options<T>,
        key: Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let state = self.state(options);
        loop {
            match state.store.lookup(key) {
                Lookup::Hit { value, id } => {
                    if self.is_valid(state, &value) {
                        return Ok(value);
                    }
                    state.store.remove_entry(key, id);
                }
                Lookup::Fresh(value) => return Ok(value),
                Lookup::Compute(ticket) => {
                    let value = Arc::new(progress::run(self.id.name(), &state.spinner, compute)?);
                    ticket.fulfil(value.clone());
                    return Ok(value);
                }
                Lookup::Bypass => return compute().map(Arc::new),
            }
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

    /// Runs `validate`; one that panics counts as a failed validation.
    fn is_valid(&self, state: &State<T>, value: &T) -> bool {
        let Some(validate) = &state.validate else {
            return true;
        };
        catch_unwind(AssertUnwindSafe(|| validate(value))).unwrap_or_else(|_| {
            tracing::warn!(
                "fncache: `validate` of `{}` panicked; the value is dropped and recomputed",
                self.id.path
            );
            false
        })
    }

    #[inline]
    fn state(&'static self, options: impl FnOnce() -> Options<T>) -> &'static State<T> {
        self.state.get_or_init(|| {
            let mut options = options();
            registry::RESOURCES.register(self);
            let on_release = options
                .on_release
                .take()
                .map(|f| Box::new(move |v: &Arc<T>| f(v)) as _);
            State {
                store: Store::new(options.limits(&self.id), on_release),
                spinner: options.spinner(&self.id),
                validate: options.validate.take(),
            }
        })
    }
}

impl<T: Resource> Clear for ResourceCache<T> {
    fn clear(&'static self) {
        ResourceCache::clear(self);
    }
}
