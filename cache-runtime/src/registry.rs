//! Every cache of the process: by kind, for `cache_data::clear()` and
//! `cache_resource::clear()`, and by name, for the handles of methods ([`cache_of`]).
//!
//! A cache registers itself when it is first used; one never used holds nothing to clear.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::key::{Key, KeyWriter};

/// A cache that can be emptied.
pub trait Clear: Sync {
    /// Drops every entry.
    fn clear(&'static self);
    /// Drops one entry.
    fn clear_entry(&'static self, key: Key);
    /// How many bytes the cache holds in memory (see [`memory_used`]).
    fn memory(&'static self) -> u64;
}

pub(crate) struct Registry(Mutex<Vec<&'static dyn Clear>>);

pub(crate) static DATA: Registry = Registry(Mutex::new(Vec::new()));
pub(crate) static RESOURCES: Registry = Registry(Mutex::new(Vec::new()));

/// Method caches by name (`my_crate::Point::area`), registered on their first call.
static METHODS: Mutex<Vec<Method>> = Mutex::new(Vec::new());

impl Registry {
    pub(crate) fn register(&self, cache: &'static dyn Clear) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(cache);
    }

    fn memory(&self) -> u64 {
        let caches = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        caches.into_iter().map(|cache| cache.memory()).sum()
    }

    pub(crate) fn clear_all(&self) {
        // Copy the list out first: a cache's `on_release` may itself use (and register) a cache.
        let caches = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for cache in caches {
            cache.clear();
        }
    }
}

/// Empties every `#[cache_data]` cache in the process, and removes this program's persisted
/// entries (those of functions not used in this process too).
pub fn clear_all_data() {
    DATA.clear_all();
    crate::persist::clear_programs();
}

/// Empties every `#[cache_resource]` cache in the process, releasing each value.
pub fn clear_all_resources() {
    RESOURCES.clear_all();
}

/// How many bytes every cache of the process holds in memory, counted as `max_size` counts
/// them: for each entry, its value's bytes (a `#[cache_data]` value's encoding; what
/// `weigh` says of a `#[cache_resource]` value, or nothing without `weigh`) plus
/// [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD). Persisted copies on disk are not counted.
///
/// ```
/// assert_eq!(fncache_runtime::memory_used(), 0); // nothing is cached yet
/// ```
pub fn memory_used() -> u64 {
    DATA.memory() + RESOURCES.memory()
}

/// A cached method's name and the last instance it was registered under, kept in a `static`
/// in the method's body beside its cache.
pub struct MethodName {
    method: &'static str,
    /// The last registered instance (see [`KeyWriter::instance`]), once `any` is set: a repeat
    /// call returns after two loads. A method called alternately as two instances registers
    /// again (idempotently).
    last: AtomicU64,
    any: AtomicBool,
}

/// A method's cache as [`cache_of`] finds it: its name, and the instances it has been called as
/// (each `Self` of a trait's default method, each type argument of a generic `impl`).
struct Method {
    name: String,
    cache: &'static dyn Clear,
    instances: Vec<u64>,
}

impl MethodName {
    /// The name of a method.
    pub const fn new(method: &'static str) -> Self {
        MethodName {
            method,
            last: AtomicU64::new(0),
            any: AtomicBool::new(false),
        }
    }

    /// Records `cache` under `Self`'s path and the method's name, for [`cache_of`], with the
    /// instance that `marker` (the closure whose type is in the method's keys) belongs to.
    #[inline]
    pub fn register<S: ?Sized, M: ?Sized>(&self, cache: &'static dyn Clear, marker: &M) {
        let bits = crate::key::instance_of(marker);
        if !self.any.load(Ordering::Acquire) || self.last.load(Ordering::Relaxed) != bits {
            register_method(cache, std::any::type_name::<S>(), self.method, bits);
            self.last.store(bits, Ordering::Relaxed);
            self.any.store(true, Ordering::Release);
        }
    }
}

#[cold]
fn register_method(cache: &'static dyn Clear, self_type: &str, method: &str, instance: u64) {
    let name = format!("{}::{method}", normalize(self_type));
    let mut methods = METHODS.lock().unwrap_or_else(|e| e.into_inner());
    let found = methods
        .iter_mut()
        .find(|m| m.name == name && std::ptr::addr_eq(m.cache, cache));
    match found {
        Some(m) if !m.instances.contains(&instance) => m.instances.push(instance),
        Some(_) => {}
        None => methods.push(Method {
            name,
            cache,
            instances: vec![instance],
        }),
    }
}

/// The handle of a cached method (or function), found by the function item itself:
/// `cache_of(Point::area)`, `cache_of(<Point as Shape>::area)`.
///
/// A method has no companion `f::clear()` (an `impl` block cannot hold one), so this is how
/// its cache is cleared. A method not called yet has no entries, and its handle clears nothing.
///
/// See `fncache::cache_of` for an example.
pub fn cache_of<F>(function: F) -> CacheHandle {
    let _ = function;
    CacheHandle {
        name: normalize(std::any::type_name::<F>()),
    }
}

/// The caches of one method, by name; see [`cache_of`].
#[derive(Debug, Clone)]
pub struct CacheHandle {
    name: String,
}

impl CacheHandle {
    /// The method's path, as the handle looks it up: `my_crate::Point::area`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops every cached entry of the method (for a generic `impl`, of every instantiation).
    pub fn clear(&self) {
        for (cache, _) in self.caches() {
            cache.clear();
        }
    }

    /// Drops the entry for one call: the receiver, then the other hashed arguments as a tuple,
    /// in order (`()` when there are none, `(x,)` for one): `clear_entry(&circle, (2.0,))`.
    ///
    /// An argument under `#[hash_with(path)]` is given as `path(&arg)`'s value. Give literals
    /// their parameter's type (`4u64`, not `4`, for a `u64`): an `i32` encodes differently.
    /// For a method of a generic `impl` or trait, the entry for these arguments goes in every
    /// instance the method has been called as.
    pub fn clear_entry<S: ?Sized + serde::Serialize, A: serde::Serialize>(
        &self,
        receiver: &S,
        args: A,
    ) {
        for (cache, instances) in self.caches() {
            for instance in instances {
                let key = KeyWriter::new()
                    .ty::<S>()
                    .instance_bits(instance)
                    .receiver(receiver)
                    .arg(&args)
                    .finish();
                cache.clear_entry(key);
            }
        }
    }

    /// [`clear_entry`](Self::clear_entry) for a method declared with `hash_self = false`: the
    /// receiver is not in the key, but its type is (`clear_entry_of::<Circle, _>((2.0,))`).
    pub fn clear_entry_of<S: ?Sized, A: serde::Serialize>(&self, args: A) {
        for (cache, instances) in self.caches() {
            for instance in instances {
                let key = KeyWriter::new()
                    .ty::<S>()
                    .instance_bits(instance)
                    .arg(&args)
                    .finish();
                cache.clear_entry(key);
            }
        }
    }

    fn caches(&self) -> Vec<(&'static dyn Clear, Vec<u64>)> {
        let methods = METHODS.lock().unwrap_or_else(|e| e.into_inner());
        methods
            .iter()
            .filter(|m| m.name == self.name)
            .map(|m| (m.cache, m.instances.clone()))
            .collect()
    }
}

/// A type or function path without generic arguments, and `<T as Trait>::f` as `T::f`:
/// `my_crate::Wrapper<u32>::get` and `<my_crate::Circle as my_crate::Shape>::area` become
/// `my_crate::Wrapper::get` and `my_crate::Circle::area`.
fn normalize(name: &str) -> String {
    let name = qualified_self(name).unwrap_or_else(|| name.to_owned());
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `<A as B>::rest` as `A::rest`.
fn qualified_self(name: &str) -> Option<String> {
    let inner = name.strip_prefix('<')?;
    let mut depth = 0usize;
    let mut as_at = None;
    for (i, c) in inner.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if depth == 0 => {
                let self_type = &inner[..as_at?];
                return Some(format!("{self_type}{}", &inner[i + 1..]));
            }
            '>' => depth -= 1,
            ' ' if depth == 0 && as_at.is_none() && inner[i..].starts_with(" as ") => {
                as_at = Some(i)
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn names_lose_generics_and_trait_qualification() {
        assert_eq!(normalize("app::Foo<u32>::get"), "app::Foo::get");
        assert_eq!(
            normalize("<app::Foo<u32> as app::Shape>::area"),
            "app::Foo::area"
        );
        assert_eq!(normalize("app::Foo<Vec<u8>>"), "app::Foo");
        assert_eq!(normalize("app::f"), "app::f");
    }
}
