//! `#[cache_data]`: a hit does not run the body, every hit is a fresh copy, `_` parameters are
//! not in the key, every shape of return type, errors and panics are not cached, recursion.

use std::panic::catch_unwind;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fncache::cache_data;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// A hit does not run the body.

static SQUARE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn square(x: u64) -> u64 {
    SQUARE_CALLS.fetch_add(1, SeqCst);
    x * x
}

#[test]
fn second_call_does_not_run_the_body() {
    assert_eq!(square(7), 49);
    assert_eq!(SQUARE_CALLS.load(SeqCst), 1);
    assert_eq!(square(7), 49);
    assert_eq!(square(7), 49);
    assert_eq!(SQUARE_CALLS.load(SeqCst), 1, "hits must not run the body");
    assert_eq!(square(8), 64);
    assert_eq!(SQUARE_CALLS.load(SeqCst), 2, "another argument is a miss");
    assert_eq!(square::__fncache().len(), 2);
}

static CONSTANT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn constant() -> String {
    CONSTANT_CALLS.fetch_add(1, SeqCst);
    "always the same".to_owned()
}

#[test]
fn a_function_without_parameters_computes_once() {
    assert_eq!(constant(), "always the same");
    assert_eq!(constant(), "always the same");
    assert_eq!(CONSTANT_CALLS.load(SeqCst), 1);
    assert_eq!(constant::__fncache().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Every hit is a fresh copy: what a caller does to its value is not seen by the next one.

static WORDS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn words(n: usize) -> Vec<String> {
    WORDS_CALLS.fetch_add(1, SeqCst);
    (0..n).map(|i| format!("word{i}")).collect()
}

#[cache_data]
fn greeting(name: String) -> String {
    format!("hello, {name}")
}

#[test]
fn mutating_a_returned_vec_does_not_change_the_next_hit() {
    let expected = vec!["word0".to_owned(), "word1".to_owned(), "word2".to_owned()];
    let mut first = words(3);
    assert_eq!(first, expected);
    first.push("intruder".to_owned());
    first[0].push_str("!!");
    first.swap(1, 2);
    let second = words(3);
    assert_eq!(
        second, expected,
        "the caller's mutation leaked into the cache"
    );
    let mut second = second;
    second.clear();
    assert_eq!(words(3), expected);
    assert_eq!(
        WORDS_CALLS.load(SeqCst),
        1,
        "every call after the first is a hit"
    );
}

#[test]
fn mutating_a_returned_string_does_not_change_the_next_hit() {
    let mut first = greeting("ada".to_owned());
    first.push_str(" and goodbye");
    first.make_ascii_uppercase();
    assert_eq!(greeting("ada".to_owned()), "hello, ada");
}

// ---------------------------------------------------------------------------------------------
// Parameters whose name starts with `_` are not part of the key, in any position.
// Each body returns a value that depends on the ignored parameter, so a hit is visible: it
// returns what the first call computed.

static FIRST_CALLS: AtomicUsize = AtomicUsize::new(0);
static MIDDLE_CALLS: AtomicUsize = AtomicUsize::new(0);
static LAST_CALLS: AtomicUsize = AtomicUsize::new(0);
static WILD_CALLS: AtomicUsize = AtomicUsize::new(0);
static ALL_IGNORED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn ignored_first(_retries: u32, x: u32) -> u32 {
    FIRST_CALLS.fetch_add(1, SeqCst);
    x * 100 + _retries
}

#[cache_data]
fn ignored_middle(a: u32, _verbose: bool, c: String) -> String {
    MIDDLE_CALLS.fetch_add(1, SeqCst);
    format!("{a}-{c}-{_verbose}")
}

#[cache_data]
fn ignored_last(x: u32, _log: Vec<String>) -> usize {
    LAST_CALLS.fetch_add(1, SeqCst);
    x as usize + _log.len()
}

#[cache_data]
fn ignored_wild(x: u32, _: u32) -> u32 {
    WILD_CALLS.fetch_add(1, SeqCst);
    x
}

#[cache_data]
fn ignored_all(_a: u32, _b: String) -> u32 {
    ALL_IGNORED_CALLS.fetch_add(1, SeqCst);
    _a
}

#[test]
fn an_underscore_parameter_in_first_position_is_not_in_the_key() {
    assert_eq!(ignored_first(1, 5), 501);
    assert_eq!(ignored_first(2, 5), 501, "`_retries` changed the key");
    assert_eq!(FIRST_CALLS.load(SeqCst), 1);
    assert_eq!(ignored_first(1, 6), 601, "`x` must stay in the key");
    assert_eq!(FIRST_CALLS.load(SeqCst), 2);
    // clear_entry takes only the hashed parameters.
    ignored_first::clear_entry(5);
    assert_eq!(ignored_first(9, 5), 509);
    assert_eq!(FIRST_CALLS.load(SeqCst), 3);
}

#[test]
fn an_underscore_parameter_in_the_middle_is_not_in_the_key() {
    assert_eq!(ignored_middle(1, false, "c".into()), "1-c-false");
    assert_eq!(ignored_middle(1, true, "c".into()), "1-c-false");
    assert_eq!(MIDDLE_CALLS.load(SeqCst), 1);
    assert_eq!(ignored_middle(1, true, "d".into()), "1-d-true");
    assert_eq!(ignored_middle(2, true, "c".into()), "2-c-true");
    assert_eq!(MIDDLE_CALLS.load(SeqCst), 3);
    ignored_middle::clear_entry(1, "c".into());
    assert_eq!(ignored_middle(1, true, "c".into()), "1-c-true");
    assert_eq!(MIDDLE_CALLS.load(SeqCst), 4);
}

#[test]
fn an_underscore_parameter_in_last_position_is_not_in_the_key() {
    assert_eq!(ignored_last(3, vec![]), 3);
    assert_eq!(ignored_last(3, vec!["a".into(), "b".into()]), 3);
    assert_eq!(LAST_CALLS.load(SeqCst), 1);
    assert_eq!(ignored_last(4, vec!["a".into()]), 5);
    assert_eq!(LAST_CALLS.load(SeqCst), 2);
}

#[test]
fn a_parameter_named_underscore_is_not_in_the_key() {
    assert_eq!(ignored_wild(1, 10), 1);
    assert_eq!(ignored_wild(1, 20), 1);
    assert_eq!(WILD_CALLS.load(SeqCst), 1);
    assert_eq!(ignored_wild(2, 10), 2);
    assert_eq!(WILD_CALLS.load(SeqCst), 2);
    ignored_wild::clear_entry(1);
    assert_eq!(ignored_wild(1, 30), 1);
    assert_eq!(WILD_CALLS.load(SeqCst), 3);
}

#[test]
fn a_function_whose_parameters_are_all_ignored_has_one_entry() {
    assert_eq!(ignored_all(1, "x".into()), 1);
    assert_eq!(ignored_all(2, "y".into()), 1);
    assert_eq!(ALL_IGNORED_CALLS.load(SeqCst), 1);
    assert_eq!(ignored_all::__fncache().len(), 1);
    ignored_all::clear_entry();
    assert_eq!(ignored_all(2, "y".into()), 2);
}

// ---------------------------------------------------------------------------------------------
// Parameters that are references.

static BORROWED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn borrowed(text: &str, bytes: &[u8]) -> usize {
    BORROWED_CALLS.fetch_add(1, SeqCst);
    text.len() + bytes.len()
}

#[test]
fn reference_parameters_are_hashed_by_value() {
    let owned = String::from("abc");
    assert_eq!(borrowed(&owned, &[1, 2]), 5);
    assert_eq!(borrowed("abc", &Vec::from([1u8, 2])), 5);
    assert_eq!(BORROWED_CALLS.load(SeqCst), 1);
    assert_eq!(borrowed("abd", &[1, 2]), 5);
    assert_eq!(borrowed("abc", &[1, 3]), 5);
    assert_eq!(BORROWED_CALLS.load(SeqCst), 3);
    borrowed::clear_entry("abc", &[1, 2]);
    assert_eq!(borrowed("abc", &[1, 2]), 5);
    assert_eq!(BORROWED_CALLS.load(SeqCst), 4);
}

// ---------------------------------------------------------------------------------------------
// Return types: Option, unit, tuple, struct, enum.

static OPTION_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn positive(x: i64) -> Option<u64> {
    OPTION_CALLS.fetch_add(1, SeqCst);
    u64::try_from(x).ok()
}

#[test]
fn option_return_values_are_cached_including_none() {
    assert_eq!(positive(-3), None);
    assert_eq!(positive(-3), None);
    assert_eq!(positive(4), Some(4));
    assert_eq!(positive(4), Some(4));
    assert_eq!(
        OPTION_CALLS.load(SeqCst),
        2,
        "`None` is a value, not an error"
    );
}

static UNIT_CALLS: AtomicUsize = AtomicUsize::new(0);
static EXPLICIT_UNIT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn side_effect_once(x: u32) {
    UNIT_CALLS.fetch_add(x as usize, SeqCst);
}

#[cache_data]
#[allow(clippy::unused_unit)]
fn explicit_unit(x: u32) -> () {
    EXPLICIT_UNIT_CALLS.fetch_add(x as usize, SeqCst);
}

#[test]
fn unit_return_values_are_cached() {
    side_effect_once(1);
    side_effect_once(1);
    side_effect_once(10);
    side_effect_once(10);
    assert_eq!(UNIT_CALLS.load(SeqCst), 11);
    explicit_unit(1);
    explicit_unit(1);
    assert_eq!(EXPLICIT_UNIT_CALLS.load(SeqCst), 1);
}

static TUPLE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn tuple(n: u8) -> (u8, String, Vec<u16>, (bool, char)) {
    TUPLE_CALLS.fetch_add(1, SeqCst);
    (
        n,
        n.to_string(),
        vec![u16::from(n); 3],
        (n.is_multiple_of(2), 'é'),
    )
}

#[test]
fn tuple_return_values_round_trip() {
    let expected = (4, "4".to_owned(), vec![4, 4, 4], (true, 'é'));
    assert_eq!(tuple(4), expected);
    assert_eq!(tuple(4), expected);
    assert_eq!(TUPLE_CALLS.load(SeqCst), 1);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Point,
    Circle { r: f64 },
    Polygon(Vec<(i32, i32)>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Drawing {
    name: String,
    shapes: Vec<Shape>,
    tags: std::collections::BTreeMap<String, Option<u32>>,
    note: Option<String>,
}

static DRAWING_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn drawing(name: String, with_note: bool) -> Drawing {
    DRAWING_CALLS.fetch_add(1, SeqCst);
    Drawing {
        name,
        shapes: vec![
            Shape::Point,
            Shape::Circle { r: 1.5 },
            Shape::Polygon(vec![(0, 0), (1, -1)]),
        ],
        tags: [("a".to_owned(), Some(1)), ("b".to_owned(), None)]
            .into_iter()
            .collect(),
        note: with_note.then(|| "noted".to_owned()),
    }
}

#[test]
fn struct_and_enum_return_values_round_trip() {
    let plain = drawing("d".into(), false);
    assert_eq!(plain.note, None);
    assert_eq!(drawing("d".into(), false), plain);
    let noted = drawing("d".into(), true);
    assert_eq!(noted.note.as_deref(), Some("noted"));
    assert_eq!(drawing("d".into(), true), noted);
    assert_eq!(DRAWING_CALLS.load(SeqCst), 2);
}

/// A very common shape of serde type (API payloads): a field left out when empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Payload {
    id: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    note: Option<String>,
}

static PAYLOAD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn payload(id: u32) -> Payload {
    PAYLOAD_CALLS.fetch_add(1, SeqCst);
    Payload { id, note: None }
}

/// Regression guard (found by this suite): a return type whose serde impl skips a field
/// (`skip_serializing_if`) does not round-trip through bincode, which is positional. Such a
/// value was first stored and failed to decode on every hit, then was not cached at all; it
/// now goes through the self-describing codec, is cached, and comes back exactly.
#[test]
fn a_return_type_that_bincode_cannot_carry_is_cached_and_comes_back_exactly() {
    for _ in 0..3 {
        assert_eq!(payload(1), Payload { id: 1, note: None });
    }
    assert_eq!(PAYLOAD_CALLS.load(SeqCst), 1);
    assert_eq!(payload::__fncache().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Errors are not cached, and the error type need not be serializable.

/// Deliberately neither `Serialize` nor `Clone` nor `Send`.
#[derive(Debug)]
struct ParseFailure {
    input: String,
    _not_send: std::marker::PhantomData<std::rc::Rc<()>>,
}

static PARSE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn parse(text: String) -> Result<u32, ParseFailure> {
    PARSE_CALLS.fetch_add(1, SeqCst);
    text.parse().map_err(|_| ParseFailure {
        input: text.clone(),
        _not_send: std::marker::PhantomData,
    })
}

#[test]
fn an_err_is_returned_and_not_cached() {
    let err = parse("x".into()).unwrap_err();
    assert_eq!(err.input, "x");
    assert_eq!(PARSE_CALLS.load(SeqCst), 1);
    assert_eq!(parse::__fncache().len(), 0, "an `Err` must not be stored");
    assert!(parse("x".into()).is_err());
    assert_eq!(PARSE_CALLS.load(SeqCst), 2, "an `Err` must be recomputed");

    assert_eq!(parse("12".into()).unwrap(), 12);
    assert_eq!(parse("12".into()).unwrap(), 12);
    assert_eq!(PARSE_CALLS.load(SeqCst), 3, "an `Ok` is cached");
    assert_eq!(parse::__fncache().len(), 1);
}

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Fails on its first call, succeeds afterwards: the success must not be hidden by the failure.
#[cache_data]
fn flaky(x: u32) -> std::io::Result<u32> {
    if FLAKY_CALLS.fetch_add(1, SeqCst) == 0 {
        return Err(std::io::Error::other("first call fails"));
    }
    Ok(x + 1)
}

#[test]
fn an_aliased_result_type_is_treated_as_a_result() {
    assert!(flaky(1).is_err());
    assert_eq!(flaky(1).unwrap(), 2);
    assert_eq!(flaky(1).unwrap(), 2);
    assert_eq!(FLAKY_CALLS.load(SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// A panic stores nothing; the next call computes again.

static FRAGILE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn fragile(x: u32) -> u32 {
    if FRAGILE_CALLS.fetch_add(1, SeqCst) == 0 {
        panic!("the first computation of fragile fails");
    }
    x * 2
}

#[test]
fn a_panicking_body_stores_nothing_and_the_next_call_recomputes() {
    let outcome = catch_unwind(|| fragile(21));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(fragile::__fncache().len(), 0);
    assert_eq!(fragile(21), 42);
    assert_eq!(FRAGILE_CALLS.load(SeqCst), 2);
    assert_eq!(fragile(21), 42);
    assert_eq!(
        FRAGILE_CALLS.load(SeqCst),
        2,
        "the recomputed value is cached"
    );
}

// ---------------------------------------------------------------------------------------------
// Recursion: no lock is held while the body runs.

static FIB_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn fib(n: u64) -> u64 {
    FIB_CALLS.fetch_add(1, SeqCst);
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[test]
fn memoized_fib_90_runs_its_body_91_times() {
    assert_eq!(fib(90), 2_880_067_194_370_816_120);
    assert_eq!(FIB_CALLS.load(SeqCst), 91);
    assert_eq!(fib(90), 2_880_067_194_370_816_120);
    assert_eq!(fib(45), 1_134_903_170);
    assert_eq!(FIB_CALLS.load(SeqCst), 91);
    assert_eq!(fib::__fncache().len(), 91);
}

static OUTER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn outer(x: u32) -> String {
    OUTER_CALLS.fetch_add(1, SeqCst);
    format!("[{}]", greeting(x.to_string()))
}

#[test]
fn a_cached_function_may_call_another() {
    assert_eq!(outer(1), "[hello, 1]");
    assert_eq!(outer(1), "[hello, 1]");
    assert_eq!(OUTER_CALLS.load(SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// Functions declared inside a function body, with types local to it.

#[test]
fn functions_declared_inside_a_test_body_work() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Local {
        value: u32,
    }

    #[derive(Serialize)]
    struct LocalArg(u32);

    static LOCAL_CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data]
    fn local(arg: LocalArg) -> Local {
        LOCAL_CALLS.fetch_add(1, SeqCst);
        Local { value: arg.0 + 1 }
    }

    assert_eq!(local(LocalArg(1)), Local { value: 2 });
    assert_eq!(local(LocalArg(1)), Local { value: 2 });
    assert_eq!(LOCAL_CALLS.load(SeqCst), 1);
    local::clear_entry(LocalArg(1));
    assert_eq!(local(LocalArg(1)), Local { value: 2 });
    assert_eq!(LOCAL_CALLS.load(SeqCst), 2);
    local::clear();
    assert_eq!(local::__fncache().len(), 0);
}

#[test]
fn two_functions_of_the_same_name_in_different_bodies_have_separate_caches() {
    fn first() -> u32 {
        #[cache_data]
        fn same_name(x: u32) -> u32 {
            x + 1
        }
        same_name(1)
    }
    fn second() -> u32 {
        #[cache_data]
        fn same_name(x: u32) -> u32 {
            x + 2
        }
        same_name(1)
    }
    assert_eq!(first(), 2);
    assert_eq!(second(), 3);
    assert_eq!(first(), 2);
}
