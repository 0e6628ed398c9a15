//! The rest of a signature passes through: reference parameters, `mut` bindings, destructuring
//! patterns, `_` parameters, `#[cfg]` on parameters, `unsafe fn`, visibility, doc comments and
//! other attributes; and a cached function declared inside another function's body, with
//! types local to that body.

#![deny(unused_mut, unused_variables, dead_code, unsafe_op_in_unsafe_fn)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fncache::{cache_data, cache_resource};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Reference parameters: the key holds the referenced value.

static REF_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn word_count(text: &str) -> usize {
    REF_CALLS.fetch_add(1, SeqCst);
    text.split_whitespace().count()
}

#[cache_data]
fn total(values: &[f64]) -> f64 {
    REF_CALLS.fetch_add(1, SeqCst);
    values.iter().sum()
}

#[cache_data]
fn extension(path: &Path) -> Option<String> {
    REF_CALLS.fetch_add(1, SeqCst);
    path.extension().map(|e| e.to_string_lossy().into_owned())
}

#[derive(Serialize)]
struct User {
    name: String,
}

#[cache_data]
fn greeting(user: Option<&User>) -> String {
    REF_CALLS.fetch_add(1, SeqCst);
    match user {
        Some(user) => format!("hello {}", user.name),
        None => "hello stranger".to_owned(),
    }
}

#[cache_data]
fn sizes(index: &BTreeMap<&str, Vec<&str>>) -> usize {
    REF_CALLS.fetch_add(1, SeqCst);
    index.values().map(Vec::len).sum()
}

#[test]
fn reference_parameters_are_keyed_by_the_values_they_point_to() {
    let calls = || REF_CALLS.load(SeqCst);

    let owned = String::from("a b c");
    assert_eq!(word_count(&owned), 3);
    assert_eq!(
        word_count("a b c"),
        3,
        "another reference to an equal string: a hit"
    );
    assert_eq!(word_count("a b"), 2);
    assert_eq!(calls(), 2);

    let values = vec![1.0, 2.5];
    assert_eq!(total(&values), 3.5);
    assert_eq!(total(&[1.0, 2.5]), 3.5);
    assert_eq!(total(&values[..1]), 1.0);
    assert_eq!(calls(), 4);

    let path = PathBuf::from("/data/table.csv");
    assert_eq!(extension(&path).as_deref(), Some("csv"));
    assert_eq!(
        extension(Path::new("/data/table.csv")).as_deref(),
        Some("csv")
    );
    assert_eq!(
        extension(Path::new("/data/table.tsv")).as_deref(),
        Some("tsv")
    );
    assert_eq!(calls(), 6);

    let ada = User { name: "ada".into() };
    assert_eq!(greeting(Some(&ada)), "hello ada");
    assert_eq!(greeting(None), "hello stranger");
    assert_eq!(greeting(Some(&User { name: "ada".into() })), "hello ada");
    assert_eq!(calls(), 8);

    let index = BTreeMap::from([("a", vec!["x", "y"]), ("b", vec![])]);
    assert_eq!(sizes(&index), 2);
    assert_eq!(sizes(&index.clone()), 2);
    assert_eq!(calls(), 9);

    total::clear_entry(&[1.0, 2.5]);
    assert_eq!(total(&values), 3.5);
    assert_eq!(calls(), 10, "cleared by the same reference types");
    greeting::clear_entry(Some(&ada));
    assert_eq!(greeting(None), "hello stranger");
    assert_eq!(calls(), 10);
    assert_eq!(greeting(Some(&ada)), "hello ada");
    assert_eq!(calls(), 11);
}

// ---------------------------------------------------------------------------------------------
// `mut` bindings and destructuring patterns.

static PATTERN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn sorted(mut values: Vec<u32>) -> Vec<u32> {
    PATTERN_CALLS.fetch_add(1, SeqCst);
    values.sort_unstable();
    values.dedup();
    values
}

#[cache_data]
fn add_pair((a, b): (u32, u32)) -> u32 {
    PATTERN_CALLS.fetch_add(1, SeqCst);
    a + b
}

#[derive(Serialize, Deserialize, Clone, Copy)]
struct Point {
    x: i32,
    y: i32,
}

#[cache_data]
fn manhattan(Point { x, y }: Point, &(dx, mut dy): &(i32, i32)) -> i32 {
    PATTERN_CALLS.fetch_add(1, SeqCst);
    dy = dy.abs();
    x.abs() + y.abs() + dx.abs() + dy
}

#[cache_resource]
fn swapped((mut first, second): (String, String), [a, b]: [u8; 2]) -> (String, u8) {
    PATTERN_CALLS.fetch_add(1, SeqCst);
    first.push_str(&second);
    (first, a + b)
}

#[test]
fn mut_bindings_and_destructuring_patterns_are_keyed_by_the_whole_argument() {
    let calls = || PATTERN_CALLS.load(SeqCst);

    assert_eq!(sorted(vec![3, 1, 3, 2]), [1, 2, 3]);
    assert_eq!(sorted(vec![3, 1, 3, 2]), [1, 2, 3]);
    assert_eq!(
        sorted(vec![1, 2, 3]),
        [1, 2, 3],
        "the key is the argument, not the result"
    );
    assert_eq!(calls(), 2);

    assert_eq!(add_pair((1, 2)), 3);
    assert_eq!(add_pair((1, 2)), 3);
    assert_eq!(add_pair((2, 1)), 3);
    assert_eq!(calls(), 4);
    add_pair::clear_entry((1, 2));
    assert_eq!(add_pair((1, 2)), 3);
    assert_eq!(calls(), 5);

    let p = Point { x: -1, y: 2 };
    assert_eq!(manhattan(p, &(3, -4)), 10);
    assert_eq!(manhattan(p, &(3, -4)), 10);
    assert_eq!(manhattan(p, &(3, 4)), 10);
    assert_eq!(calls(), 7);

    let value = swapped(("a".into(), "b".into()), [1, 2]);
    assert_eq!(*value, ("ab".to_owned(), 3));
    assert!(std::sync::Arc::ptr_eq(
        &value,
        &swapped(("a".into(), "b".into()), [1, 2])
    ));
    assert_eq!(calls(), 8);
}

// ---------------------------------------------------------------------------------------------
// `_` parameters and `#[cfg]` on parameters.

static WILD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn ignores_second(x: u32, _: u32) -> u32 {
    WILD_CALLS.fetch_add(1, SeqCst);
    x * 2
}

static CFG_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn configured(
    #[cfg(test)] present: u32,
    #[cfg(not(test))] absent: String,
    #[cfg(test)] (a, b): (u8, u8),
    last: u32,
) -> u32 {
    CFG_CALLS.fetch_add(1, SeqCst);
    present + u32::from(a) + u32::from(b) + last
}

#[test]
fn a_wildcard_parameter_is_left_out_of_the_key() {
    assert_eq!(ignores_second(1, 10), 2);
    assert_eq!(ignores_second(1, 20), 2);
    assert_eq!(WILD_CALLS.load(SeqCst), 1);
    ignores_second::clear_entry(1); // takes only the hashed parameters
    assert_eq!(ignores_second(1, 30), 2);
    assert_eq!(WILD_CALLS.load(SeqCst), 2);
}

#[test]
fn cfg_on_parameters_removes_or_keeps_them_and_their_key_part() {
    let calls = || CFG_CALLS.load(SeqCst);
    assert_eq!(configured(1, (2, 3), 4), 10);
    assert_eq!(configured(1, (2, 3), 4), 10);
    assert_eq!(
        configured(1, (3, 2), 4),
        10,
        "the pattern under #[cfg] is in the key"
    );
    assert_eq!(configured(2, (2, 3), 4), 11);
    assert_eq!(calls(), 3);
    configured::clear_entry(1, (2, 3), 4);
    assert_eq!(configured(1, (2, 3), 4), 10);
    assert_eq!(calls(), 4);
}

// ---------------------------------------------------------------------------------------------
// `unsafe fn`, visibility, doc comments and other attributes.

/// # Safety
/// `ptr` must point to a live `u32`.
unsafe fn read(ptr: *const u32) -> u32 {
    // SAFETY: the caller's promise.
    unsafe { *ptr }
}

mod api {
    use super::*;

    pub static DOC_CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Scales the value behind an address, once per factor: the address is not in the key.
    ///
    /// # Safety
    /// `ptr` must point to a live `u32`, whose value must not change between calls.
    #[cache_data]
    #[inline]
    #[must_use]
    #[doc(alias = "times")]
    #[cfg_attr(all(), allow(clippy::arithmetic_side_effects))]
    pub(crate) unsafe fn scaled(_ptr: *const u32, factor: u32) -> u32 {
        DOC_CALLS.fetch_add(1, SeqCst);
        // SAFETY: the caller's promise.
        unsafe { read(_ptr) * factor }
    }

    /// Visible outside this module, companion included.
    #[cache_data]
    pub fn public(x: u8) -> u8 {
        DOC_CALLS.fetch_add(1, SeqCst);
        x
    }
}

#[test]
fn unsafe_fn_visibility_and_attributes_pass_through() {
    let value = 21u32;
    // SAFETY: `value` is live and never changes.
    let scaled = unsafe { api::scaled(&value, 2) };
    assert_eq!(scaled, 42);
    // SAFETY: as above.
    assert_eq!(unsafe { api::scaled(&value, 2) }, 42);
    assert_eq!(api::DOC_CALLS.load(SeqCst), 1);
    assert_eq!(api::public(3), 3);
    api::public::clear();
    api::scaled::clear_entry(2);
    // SAFETY: as above.
    assert_eq!(unsafe { api::scaled(&value, 2) }, 42);
    assert_eq!(api::DOC_CALLS.load(SeqCst), 3);
}

// ---------------------------------------------------------------------------------------------
// A cached function declared inside another function's body, with local types.

#[test]
fn a_cached_fn_inside_a_fn_body_with_local_types() {
    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Query {
        table: String,
        limit: u32,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Rows(Vec<u32>);

    struct Handle {
        query: Query,
    }

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data]
    fn run(query: Query) -> Rows {
        CALLS.fetch_add(1, SeqCst);
        Rows((0..query.limit).collect())
    }

    #[cache_resource]
    fn handle(query: &Query) -> Handle {
        CALLS.fetch_add(1, SeqCst);
        Handle {
            query: query.clone(),
        }
    }

    let q = Query {
        table: "t".into(),
        limit: 3,
    };
    assert_eq!(run(q.clone()), Rows(vec![0, 1, 2]));
    assert_eq!(run(q.clone()), Rows(vec![0, 1, 2]));
    assert_eq!(handle(&q).query, q);
    assert!(std::sync::Arc::ptr_eq(&handle(&q), &handle(&q)));
    assert_eq!(CALLS.load(SeqCst), 2);
    run::clear_entry(q.clone());
    handle::clear();
    assert_eq!(run(q.clone()), Rows(vec![0, 1, 2]));
    assert_eq!(handle(&q).query.table, "t");
    assert_eq!(CALLS.load(SeqCst), 4);
}
