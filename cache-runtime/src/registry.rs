//! Every cache of the process, by kind, for `cache_data::clear()` and `cache_resource::clear()`.
//!
//! A cache registers itself when it is first used; one never used holds nothing to clear.

use std::sync::Mutex;

/// A cache that can be emptied.
pub(crate) trait Clear: Sync {
    fn clear(&'static self);
}

pub(crate) struct Registry(Mutex<Vec<&'static dyn Clear>>);

pub(crate) static DATA: Registry = Registry(Mutex::new(Vec::new()));
pub(crate) static RESOURCES: Registry = Registry(Mutex::new(Vec::new()));

impl Registry {
    pub(crate) fn register(&self, cache: &'static dyn Clear) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(cache);
    }

    pub(crate) fn clear_all(&self) {
        // Copy the list out first: a cache's `on_release` may itself use (and register) a cache.
        let caches = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for cache in caches {
            cache.clear();
        }
    }
}

/// Empties every `#[cache_data]` cache in the process.
pub fn clear_all_data() {
    DATA.clear_all();
}

/// Empties every `#[cache_resource]` cache in the process, releasing each value.
pub fn clear_all_resources() {
    RESOURCES.clear_all();
}
