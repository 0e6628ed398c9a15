//! `#[cache_data]`: values stored encoded, decoded into a fresh copy on every hit.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use crate::bounds::CacheData;
use crate::codec;
use crate::key::Key;
use crate::options::{FnId, Options};
use crate::progress::{self, Spinner};
use crate::registry::{self, Clear};
use crate::store::{Lookup, Store};

/// The cache of one `#[cache_data]` function, kept in a `static` in its companion module.
pub struct DataCache {
    id: FnId,
    state: OnceLock<State>,
}

struct State {
    store: Store<Arc<[u8]>>,
    spinner: Spinner,
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
        key: Key,
        compute: impl FnOnce() -> T,
    ) -> T {
        match self.get_or_err(options, key, || Ok::<T, Infallible>(compute())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get`](Self::get) for a function returning `Result`: an `Err` is returned and not cached.
    #[inline]
    pub fn get_or_err<T: CacheData, E>(
        &'static self,
        options: impl FnOnce() -> Options,
        key: Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let state = self.state(options);
        let found = match state.store.lookup(key) {
            Lookup::Hit { value, id } => (value, Some(id)),
            Lookup::Fresh(value) => (value, None),
            Lookup::Compute(ticket) => {
                let value = progress::run(self.id.name(), &state.spinner, compute)?;
                match codec::encode(&value) {
                    Ok(bytes) => ticket.fulfil(bytes.into()),
                    Err(e) => tracing::warn!(
                        "fncache: `{}` returned a value that cannot be encoded ({e}); it is not cached",
                        self.id.path
                    ),
                }
                return Ok(value);
            }
            Lookup::Bypass => return compute(),
        };
        match codec::decode(&found.0) {
            Ok(value) => Ok(value),
            Err(e) => {
                tracing::warn!(
                    "fncache: a cached value of `{}` does not decode ({e}); recomputing",
                    self.id.path
                );
                if let Some(id) = found.1 {
                    state.store.remove_entry(key, id);
                }
                compute()
            }
        }
    }

    /// Drops every entry.
    pub fn clear(&'static self) {
        if let Some(state) = self.state.get() {
            state.store.clear();
        }
    }

    /// Drops the entry for `key`.
    pub fn clear_entry(&'static self, key: Key) {
        if let Some(state) = self.state.get() {
            state.store.clear_entry(key);
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
            State {
                store: Store::new(options.limits(&self.id), None),
                spinner: options.spinner(&self.id),
            }
        })
    }
}

impl Clear for DataCache {
    fn clear(&'static self) {
        DataCache::clear(self);
    }
}
