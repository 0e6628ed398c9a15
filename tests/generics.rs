//! Generic functions: the concrete type and const arguments are part of the key, so `f::<u32>`
//! and `f::<u64>` never see each other's entries; a `#[cache_data]` value decodes into the
//! caller's type, a `#[cache_resource]` value is downcast safely; `f::clear_entry::<T>(..)`
//! carries the generics; lifetimes, `where` clauses and `impl Trait` parameters work.

use std::any::type_name;
use std::fmt::Display;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fncache::{cache_data, cache_resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

// ---------------------------------------------------------------------------------------------
// A type parameter that appears only in the return type.

static PARSE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn parse<T: FromStr + Serialize + DeserializeOwned>(s: &str) -> Option<T> {
    PARSE_CALLS.fetch_add(1, SeqCst);
    s.parse().ok()
}

#[test]
fn a_return_type_only_generic_is_keyed_by_its_type_argument() {
    let calls = || PARSE_CALLS.load(SeqCst);
    assert_eq!(parse::<u32>("7"), Some(7u32));
    assert_eq!(
        parse::<u64>("7"),
        Some(7u64),
        "same argument, other type: a miss"
    );
    assert_eq!(parse::<f64>("7"), Some(7.0));
    assert_eq!(
        parse::<u8>("300"),
        None,
        "a u8 parse fails, and is not the u32 entry"
    );
    assert_eq!(parse::<String>("7"), Some("7".to_owned()));
    assert_eq!(calls(), 5);
    assert_eq!(parse::<u32>("7"), Some(7));
    assert_eq!(parse::<u64>("7"), Some(7));
    assert_eq!(parse::<u8>("300"), None);
    assert_eq!(calls(), 5, "each type hits its own entry");

    parse::clear_entry::<u64>("7");
    assert_eq!(parse::<u32>("7"), Some(7));
    assert_eq!(calls(), 5, "clear_entry::<u64> leaves the u32 entry");
    assert_eq!(parse::<u64>("7"), Some(7));
    assert_eq!(calls(), 6);
    parse::clear();
    assert_eq!(parse::<u32>("7"), Some(7));
    assert_eq!(calls(), 7);
}

static SIZE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The type is not even in the signature's values: only the key tells `u32` from `u64`.
#[cache_data]
fn size_of<T>(count: u32) -> usize {
    SIZE_CALLS.fetch_add(1, SeqCst);
    std::mem::size_of::<T>() * count as usize
}

#[test]
fn f_u32_and_f_u64_never_see_each_others_entries() {
    for _ in 0..3 {
        assert_eq!(size_of::<u32>(2), 8);
        assert_eq!(size_of::<u64>(2), 16);
        assert_eq!(size_of::<[u8; 3]>(2), 6);
        assert_eq!(size_of::<&str>(1), std::mem::size_of::<&str>());
    }
    assert_eq!(SIZE_CALLS.load(SeqCst), 4);
    assert_eq!(size_of::__fncache().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// A generic `#[cache_data]` whose value type follows the parameter's type.

static ECHO_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn echo_twice<T>(value: T) -> Vec<T>
where
    T: Serialize + DeserializeOwned + Clone,
{
    ECHO_CALLS.fetch_add(1, SeqCst);
    vec![value.clone(), value]
}

#[test]
fn a_generic_value_decodes_into_the_callers_type() {
    assert_eq!(echo_twice(1u8), [1u8, 1]);
    assert_eq!(echo_twice(1i64), [1i64, 1]);
    assert_eq!(echo_twice("a".to_owned()), ["a", "a"]);
    assert_eq!(echo_twice((1u8, true)), [(1u8, true), (1, true)]);
    assert_eq!(echo_twice(1u8), [1u8, 1]);
    assert_eq!(ECHO_CALLS.load(SeqCst), 4);
    echo_twice::clear_entry(1i64); // the type argument is inferred from the argument
    assert_eq!(echo_twice(1u8), [1u8, 1]);
    assert_eq!(ECHO_CALLS.load(SeqCst), 4);
    assert_eq!(echo_twice(1i64), [1i64, 1]);
    assert_eq!(ECHO_CALLS.load(SeqCst), 5);
}

// ---------------------------------------------------------------------------------------------
// A generic `#[cache_resource]`: stored type-erased, downcast back to the caller's type.

static MAKE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
fn make<T: Default + Send + Sync + 'static>(tag: u8) -> T {
    MAKE_CALLS.fetch_add(1, SeqCst);
    T::default()
}

#[test]
fn a_generic_resource_is_downcast_to_the_callers_type() {
    let numbers: Arc<Vec<u32>> = make(1);
    let text: Arc<String> = make(1);
    let flag: Arc<bool> = make(1);
    assert!(numbers.is_empty() && text.is_empty() && !*flag);
    assert_eq!(MAKE_CALLS.load(SeqCst), 3);
    assert!(Arc::ptr_eq(&numbers, &make::<Vec<u32>>(1)));
    assert!(Arc::ptr_eq(&text, &make::<String>(1)));
    assert_eq!(MAKE_CALLS.load(SeqCst), 3);
    assert_eq!(make::__fncache().len(), 3);

    make::clear_entry::<String>(1);
    assert_eq!(make::__fncache().len(), 2);
    assert!(
        Arc::ptr_eq(&numbers, &make::<Vec<u32>>(1)),
        "the Vec entry stays"
    );
    assert!(
        !Arc::ptr_eq(&text, &make::<String>(1)),
        "the String entry went"
    );
    assert_eq!(MAKE_CALLS.load(SeqCst), 4);
}

// ---------------------------------------------------------------------------------------------
// Const generics.

static CHUNK_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn chunks<const N: usize>(len: usize) -> Vec<usize> {
    CHUNK_CALLS.fetch_add(1, SeqCst);
    (0..len).step_by(N).collect()
}

#[cache_data]
fn filled<T: Serialize + DeserializeOwned + Copy + Default, const N: usize>(x: T) -> Vec<T> {
    let mut out = vec![T::default(); N];
    out[0] = x;
    out
}

#[test]
fn const_arguments_are_part_of_the_key() {
    assert_eq!(chunks::<2>(6), [0, 2, 4]);
    assert_eq!(chunks::<3>(6), [0, 3]);
    assert_eq!(chunks::<2>(6), [0, 2, 4]);
    assert_eq!(CHUNK_CALLS.load(SeqCst), 2);
    chunks::clear_entry::<3>(6);
    assert_eq!(chunks::<2>(6), [0, 2, 4]);
    assert_eq!(CHUNK_CALLS.load(SeqCst), 2);
    assert_eq!(chunks::<3>(6), [0, 3]);
    assert_eq!(CHUNK_CALLS.load(SeqCst), 3);

    assert_eq!(filled::<u8, 2>(1), [1, 0]);
    assert_eq!(filled::<u8, 3>(1), [1, 0, 0]);
    assert_eq!(filled::<u16, 2>(1), [1u16, 0]);
    assert_eq!(filled::__fncache().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// `impl Trait` parameters: the concrete type is in the key.

static SHOW_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn show(value: impl Serialize + Display) -> String {
    SHOW_CALLS.fetch_add(1, SeqCst);
    format!("{value}")
}

#[test]
fn impl_trait_parameters_are_keyed_by_their_concrete_type() {
    // `"1"` and `String::from("1")` encode alike: only their types tell the two keys apart.
    assert_eq!(show(1u8), "1");
    assert_eq!(show(1u16), "1");
    assert_eq!(show('1'), "1");
    assert_eq!(show("1"), "1");
    assert_eq!(show("1".to_owned()), "1");
    assert_eq!(SHOW_CALLS.load(SeqCst), 5);
    assert_eq!(show(1u8), "1");
    assert_eq!(show("1"), "1");
    assert_eq!(SHOW_CALLS.load(SeqCst), 5);
    show::clear_entry(1u16);
    assert_eq!(show(1u8), "1");
    assert_eq!(SHOW_CALLS.load(SeqCst), 5);
    assert_eq!(show(1u16), "1");
    assert_eq!(SHOW_CALLS.load(SeqCst), 6);
}

static APPLY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A closure parameter cannot be serialized: leave it out of the key with `_`. Its type still
/// goes into the key: two closures are two types, and may compute differently.
#[cache_data]
fn apply(x: u32, _f: impl Fn(u32) -> u32) -> u32 {
    APPLY_CALLS.fetch_add(1, SeqCst);
    _f(x)
}

#[test]
fn an_unhashed_impl_trait_parameter_keys_by_its_type_not_its_value() {
    let add_one = |x| x + 1;
    assert_eq!(apply(2, add_one), 3);
    assert_eq!(apply(2, add_one), 3, "the same closure: a hit");
    assert_eq!(APPLY_CALLS.load(SeqCst), 1);
    assert_eq!(
        apply(2, |x| x * 100),
        200,
        "another closure is another type"
    );
    assert_eq!(APPLY_CALLS.load(SeqCst), 2);
    apply::clear_entry(2, add_one);
    assert_eq!(apply(2, add_one), 3);
    assert_eq!(
        APPLY_CALLS.load(SeqCst),
        3,
        "clear_entry takes the closure for its type"
    );
}

// ---------------------------------------------------------------------------------------------
// Lifetimes, `where` clauses and an async generic fn.

#[cache_data]
fn longest<'a, 'b>(a: &'a str, b: &'b str) -> String
where
    'b: 'a,
{
    if b.len() > a.len() { b } else { a }.to_owned()
}

#[test]
fn lifetimes_pass_through() {
    let owned = String::from("longer");
    let result = {
        let short = String::from("tiny");
        longest(&short, &owned)
    };
    assert_eq!(result, "longer");
    assert_eq!(longest("tiny", "longer"), "longer");
    assert_eq!(longest::__fncache().len(), 1);
}

static NAMED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
async fn type_named<T>(n: u32) -> String
where
    T: ?Sized,
{
    NAMED_CALLS.fetch_add(1, SeqCst);
    format!("{n} {}", type_name::<T>())
}

#[test]
fn an_async_generic_fn_is_keyed_by_its_type_argument() {
    futures_executor::block_on(async {
        assert_eq!(type_named::<u32>(1).await, "1 u32");
        assert_eq!(type_named::<str>(1).await, "1 str");
        assert_eq!(type_named::<u32>(1).await, "1 u32");
    });
    assert_eq!(NAMED_CALLS.load(SeqCst), 2);
}
