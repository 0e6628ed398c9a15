//! The expansion must not depend on what the user's module has in scope: decoy `core` and
//! `std` modules (so any non-absolute `core::`/`std::` path in the expansion fails to compile),
//! local types named like the runtime's, parameters named like the expansion's internals, and
//! decoy traits and macros.
//!
//! Because of `mod std {}`, this file itself writes `::std::..` everywhere.

#![allow(dead_code, non_upper_case_globals, unused_macros)]

mod core {}
mod std {}

// Local items named like everything the expansion uses.
struct Arc;
struct Options;
struct Duration;
struct KeyWriter;
struct Key;
struct DataCache;
struct ResourceCache;
struct Hooks;
struct FnId;
struct ShowSpinner;
struct Result;
struct Box;
const CACHE: u8 = 0;
static __FNCACHE: u8 = 0;
fn __fncache() {}
fn register_method() {}
fn log_deprecation() {}

macro_rules! concat {
    ($($t:tt)*) => {
        compile_error!("the expansion used a local `concat!`")
    };
}
macro_rules! module_path {
    ($($t:tt)*) => {
        compile_error!("the expansion used a local `module_path!`")
    };
}

/// Methods named like the runtime's, for every type: inherent methods must still win.
trait Decoy {
    fn get(&self) {}
    fn get_or_err(&self) {}
    fn arg(&self) {}
    fn finish(&self) {}
    fn clear(&self) {}
    fn clear_entry(&self) {}
    fn len(&self) -> u8 {
        0
    }
}
impl<T: ?Sized> Decoy for T {}

use ::fncache::{cache_data, cache_resource};
use ::std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
#[allow(clippy::too_many_arguments)]
fn internals(
    key: u32,
    options: u32,
    compute: u32,
    cache: u32,
    __fncache_key: u32,
    state: u32,
    hooks: u32,
    value: u32,
) -> u32 {
    CALLS.fetch_add(1, SeqCst);
    key + options + compute + cache + __fncache_key + state + hooks + value
}

#[test]
fn parameters_named_like_internals_are_hashed_and_used() {
    assert_eq!(internals(1, 2, 3, 4, 5, 6, 7, 8), 36);
    assert_eq!(internals(1, 2, 3, 4, 5, 6, 7, 8), 36);
    assert_eq!(CALLS.load(SeqCst), 1);
    assert_eq!(
        internals(1, 2, 3, 4, 9, 6, 7, 8),
        36,
        "`__fncache_key` starts with `_`: not in the key"
    );
    assert_eq!(
        internals(1, 2, 3, 5, 5, 6, 7, 8),
        37,
        "`cache` is in the key"
    );
    assert_eq!(CALLS.load(SeqCst), 2);
    internals::clear_entry(1, 2, 3, 4, 6, 7, 8);
    assert_eq!(internals::__fncache().len(), 1);
    internals::clear();
    assert_eq!(internals::__fncache().len(), 0);
}

/// The `#[cfg]` path of the key, which uses a hidden `__fncache_key` of its own.
#[cache_data(
    ttl = "1h",
    max_entries = 10,
    show_spinner = "working",
    show_time = true
)]
fn cfg_param(__fncache_key: u32, #[cfg(test)] present: u32, #[cfg(not(test))] absent: u32) -> u32 {
    __fncache_key * 10 + present
}

#[test]
fn a_cfg_parameter_beside_one_named_like_the_hidden_key() {
    assert_eq!(cfg_param(1, 2), 12);
    assert_eq!(cfg_param(5, 2), 12, "`__fncache_key` is not in the key");
    assert_eq!(cfg_param(1, 3), 13, "`present` is");
    assert_eq!(cfg_param::__fncache().len(), 2);
    cfg_param::clear_entry(2);
    assert_eq!(cfg_param::__fncache().len(), 1);
}

/// A pattern parameter gets a hidden name; a user parameter with that very name is another.
#[cache_data]
fn hidden_names(__fncache_arg1: u32, (a, b): (u32, u32), __fncache_arg0: u32) -> u32 {
    __fncache_arg1 * 1000 + a * 100 + b * 10 + __fncache_arg0
}

#[test]
fn pattern_parameters_beside_parameters_named_like_their_hidden_names() {
    assert_eq!(hidden_names(1, (2, 3), 4), 1234);
    assert_eq!(hidden_names(4, (3, 2), 1), 4321);
    assert_eq!(
        hidden_names(9, (2, 3), 9),
        1234,
        "only the pattern is hashed"
    );
    assert_eq!(hidden_names::__fncache().len(), 2);
}

struct Conn {
    id: u32,
}

#[cache_resource(
    ttl = 60,
    max_entries = 4,
    validate = |value: &Conn| value.id < 100,
    on_release = |value: &Conn| { let _ = value.id; },
)]
fn resource_internals(key: u32, options: u32, value: u32, cache: u32) -> Conn {
    Conn {
        id: key + options + value + cache,
    }
}

#[test]
fn a_resource_with_parameters_named_like_internals() {
    let a: ::std::sync::Arc<Conn> = resource_internals(1, 2, 3, 4);
    let b = resource_internals(1, 2, 3, 4);
    assert!(::std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(a.id, 10);
    resource_internals::clear_entry(1, 2, 3, 4);
    assert_eq!(resource_internals::__fncache().len(), 0);
}

#[derive(Debug)]
struct Failure;

#[cache_resource]
fn resource_result(ok: bool) -> ::core::result::Result<Conn, Failure> {
    if ok { Ok(Conn { id: 1 }) } else { Err(Failure) }
}

#[cache_data]
fn data_result(ok: bool) -> ::core::result::Result<u32, Failure> {
    if ok { Ok(1) } else { Err(Failure) }
}

#[test]
fn result_return_types_beside_a_local_result() {
    assert!(resource_result(false).is_err());
    let Ok(conn) = resource_result(true) else {
        panic!("`true` succeeds")
    };
    assert_eq!(conn.id, 1);
    assert!(data_result(false).is_err());
    assert_eq!(data_result(true).ok(), Some(1));
}

/// The same decoys, one module down, where a `std` path would resolve to the local module.
mod nested {
    #![allow(dead_code)]

    mod core {}
    mod std {}
    struct Arc;
    struct Options;
    struct Duration;

    use ::fncache::{cache_data, cache_resource};

    /// Public cached functions, used from the parent module.
    #[cache_data(ttl = 30)]
    pub fn doubled(options: u64) -> u64 {
        options * 2
    }

    pub struct Shared(pub u64);

    #[cache_resource(max_entries = 1)]
    pub fn shared(compute: u64) -> Shared {
        Shared(compute)
    }
}

#[test]
fn decoys_in_a_nested_module() {
    assert_eq!(nested::doubled(21), 42);
    assert_eq!(nested::doubled::__fncache().len(), 1);
    nested::doubled::clear();
    let a = nested::shared(1);
    assert!(::std::sync::Arc::ptr_eq(&a, &nested::shared(1)));
    assert_eq!(a.0, 1);
    nested::shared::clear_entry(1);
}

#[test]
fn functions_declared_in_a_test_body_beside_decoys() {
    struct Arc;
    struct Options;
    mod core {}

    #[cache_data]
    fn local(key: u32) -> u32 {
        key + 1
    }
    assert_eq!(local(1), 2);
    assert_eq!(local::__fncache().len(), 1);
}
