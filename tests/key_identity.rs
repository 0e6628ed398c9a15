//! Keys that tell every value and type apart (issue 9, cases 1–6, and the silent miss of equal
//! `HashSet`s): each test is named after the wrong value it guards, and calls a cached function
//! with arguments that an earlier key encoding merged, checking that each call gets the value
//! its own arguments compute.

use std::collections::{BTreeMap, HashSet};
use std::fmt::{Debug, Display};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fncache::cache_data;
use serde::Serialize;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// 1. Untagged enums: variants that serialize to the same payload under other names.

#[derive(Serialize, Debug, Clone)]
#[serde(untagged)]
enum Lookup {
    ById { id: u64 },
    ByPhone { phone: u64 },
}

#[derive(Serialize, Debug, Clone)]
#[serde(untagged)]
enum Who {
    Id(u32),
    Name(String),
}

#[cache_data]
fn find_user(lookup: Lookup) -> String {
    format!("{lookup:?}")
}

#[cache_data]
fn who(who: Who) -> String {
    format!("{who:?}")
}

#[test]
fn untagged_variants_with_the_same_payload_do_not_share_an_entry() {
    assert_eq!(find_user(Lookup::ById { id: 42 }), "ById { id: 42 }");
    assert_eq!(
        find_user(Lookup::ByPhone { phone: 42 }),
        "ByPhone { phone: 42 }"
    );
    assert_eq!(who(Who::Name("bob".into())), r#"Name("bob")"#);
    // The old key of `Name("bob")` was its length-prefixed bytes: 3, b, o, b. A `u32` with the
    // same four bytes must not find it.
    let crafted = u32::from_le_bytes([3, b'b', b'o', b'b']);
    assert_eq!(who(Who::Id(crafted)), format!("Id({crafted})"));
}

// ---------------------------------------------------------------------------------------------
// 2. `serde_json::Value`: values of different kinds.

static JSON_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn render(a: Value, b: Value) -> String {
    JSON_CALLS.fetch_add(1, SeqCst);
    format!("{a}|{b}")
}

#[test]
fn json_values_of_different_kinds_do_not_share_an_entry() {
    let values = [
        json!(false),
        json!([]),
        json!(""),
        json!({}),
        json!(true),
        json!([null]),
        json!(null),
        json!(0),
        json!(0.0),
        json!(-0.0),
        json!("0"),
        json!([0]),
        json!({"0": 0}),
    ];
    for a in &values {
        for b in &values {
            assert_eq!(render(a.clone(), b.clone()), format!("{a}|{b}"));
        }
    }
    let computed = JSON_CALLS.load(SeqCst);
    for a in &values {
        for b in &values {
            assert_eq!(render(a.clone(), b.clone()), format!("{a}|{b}"));
        }
    }
    assert_eq!(JSON_CALLS.load(SeqCst), computed, "the second round hits");
}

// ---------------------------------------------------------------------------------------------
// 3. Maps whose order carries meaning keep it; maps and sets whose order does not are canonical.

#[cache_data]
fn columns(header: indexmap::IndexMap<String, u32>) -> Vec<String> {
    header.keys().cloned().collect()
}

#[cache_data]
fn json_columns(row: Value) -> Vec<String> {
    row.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn an_index_map_in_two_orders_is_two_entries() {
    let name_age: indexmap::IndexMap<String, u32> = [("name".into(), 1), ("age".into(), 2)]
        .into_iter()
        .collect();
    let age_name: indexmap::IndexMap<String, u32> = [("age".into(), 2), ("name".into(), 1)]
        .into_iter()
        .collect();
    assert_eq!(name_age, age_name, "IndexMap's == ignores order");
    assert_eq!(columns(name_age), ["name", "age"]);
    assert_eq!(columns(age_name), ["age", "name"]);
}

#[test]
fn a_json_object_in_two_orders_is_two_entries_with_preserve_order() {
    let a: Value = serde_json::from_str(r#"{"name": 1, "age": 2}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"age": 2, "name": 1}"#).unwrap();
    assert_eq!(json_columns(a), ["name", "age"]);
    assert_eq!(json_columns(b), ["age", "name"]);
}

static SET_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn set_size(set: HashSet<String>, nested: BTreeMap<u8, HashSet<u32>>) -> usize {
    SET_CALLS.fetch_add(1, SeqCst);
    set.len() + nested.values().map(HashSet::len).sum::<usize>()
}

#[test]
fn equal_hash_sets_hit_one_entry_also_inside_maps() {
    let build = |reverse: bool| {
        let mut names: Vec<String> = (0..40).map(|i| format!("n{i}")).collect();
        let mut numbers: Vec<u32> = (0..40).collect();
        if reverse {
            names.reverse();
            numbers.reverse();
        }
        let set: HashSet<String> = names.into_iter().collect();
        let nested = BTreeMap::from([(1u8, numbers.into_iter().collect::<HashSet<u32>>())]);
        (set, nested)
    };
    let (a, na) = build(false);
    let (b, nb) = build(true);
    assert_eq!(set_size(a, na), 80);
    assert_eq!(set_size(b, nb), 80);
    assert_eq!(
        SET_CALLS.load(SeqCst),
        1,
        "each set has its own random order"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. `impl Trait` below the top level: the concrete type is in the key.

#[cache_data]
fn show_ref(value: &(impl Display + Serialize)) -> String {
    format!("{value} as {}", std::any::type_name_of_val(value))
}

#[cache_data]
fn show_debug(value: &(impl Debug + Serialize)) -> String {
    format!("{value:?}")
}

#[cache_data]
fn show_vec(values: Vec<impl Debug + Serialize>) -> String {
    format!("{values:?} of {}", std::any::type_name_of_val(&values))
}

#[cache_data]
fn show_option(value: Option<impl Debug + Serialize>) -> String {
    format!("{value:?} of {}", std::any::type_name_of_val(&value))
}

#[test]
fn impl_trait_behind_a_reference_keys_by_its_concrete_type() {
    assert_eq!(show_ref(&1u8), "1 as u8");
    assert_eq!(show_ref(&true), "true as bool");
    assert_eq!(show_ref(&97u32), "97 as u32");
    assert_eq!(show_ref(&'a'), "a as char");
    assert_eq!(show_debug(&"ab"), r#""ab""#);
    assert_eq!(show_debug(&vec![b'a', b'b']), "[97, 98]");
}

#[test]
fn impl_trait_inside_vec_and_option_keys_by_its_concrete_type() {
    assert_eq!(show_vec(Vec::<u8>::new()), "[] of alloc::vec::Vec<u8>");
    assert_eq!(show_vec(Vec::<bool>::new()), "[] of alloc::vec::Vec<bool>");
    assert_eq!(show_option(None::<u8>), "None of core::option::Option<u8>");
    assert_eq!(
        show_option(None::<String>),
        "None of core::option::Option<alloc::string::String>"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Type identity by `TypeId`, not by name.

#[cache_data]
fn apply_to<F: Fn(u32) -> u32>(x: u32, _f: F) -> u32 {
    _f(x)
}

#[cache_data]
fn apply_impl(x: u32, _f: impl Fn(u32) -> u32) -> u32 {
    _f(x)
}

#[test]
fn two_closures_of_one_function_are_two_types() {
    // Both closures are named `key_identity::two_closures_of_one_function_are_two_types::{{closure}}`.
    assert_eq!(apply_to(2, |x| x + 1), 3);
    assert_eq!(apply_to(2, |x| x * 10), 20);
    assert_eq!(apply_impl(2, |x| x + 1), 3);
    assert_eq!(apply_impl(2, |x| x * 10), 20);
}

#[cache_data]
fn describe<T: Serialize + Default + Debug>(_marker: std::marker::PhantomData<T>) -> String {
    format!("{:?}", T::default())
}

#[test]
fn block_local_structs_of_one_name_are_two_types() {
    let first = {
        #[derive(Serialize, Default, Debug)]
        struct Cfg {
            first: u8,
        }
        describe(std::marker::PhantomData::<Cfg>)
    };
    let second = {
        #[derive(Serialize, Default, Debug)]
        struct Cfg {
            second: u8,
        }
        describe(std::marker::PhantomData::<Cfg>)
    };
    assert_eq!(first, "Cfg { first: 0 }");
    assert_eq!(second, "Cfg { second: 0 }");
}

// ---------------------------------------------------------------------------------------------
// 6. A trait's own type parameters, which the attribute on a method cannot name.

struct Json;
struct Yaml;

#[derive(Serialize)]
struct Doc {
    title: String,
}

trait Format {
    const NAME: &'static str;
}

impl Format for Json {
    const NAME: &'static str = "json";
}

impl Format for Yaml {
    const NAME: &'static str = "yaml";
}

trait Render<F> {
    fn render(&self) -> String;
}

impl<F: Format> Render<F> for Doc {
    #[cache_data]
    fn render(&self) -> String {
        format!("{} as {}", self.title, F::NAME)
    }
}

trait Describe<T: Format> {
    #[cache_data]
    fn describe(&self) -> String
    where
        Self: Serialize,
    {
        format!("described as {}", T::NAME)
    }
}

impl Describe<Json> for Doc {}
impl Describe<Yaml> for Doc {}

#[test]
fn a_traits_type_parameter_is_in_the_key() {
    let doc = Doc {
        title: "report".into(),
    };
    assert_eq!(<Doc as Render<Json>>::render(&doc), "report as json");
    assert_eq!(<Doc as Render<Yaml>>::render(&doc), "report as yaml");
    assert_eq!(<Doc as Render<Json>>::render(&doc), "report as json");
}

#[test]
fn a_default_methods_trait_parameter_is_in_the_key() {
    let doc = Doc {
        title: "report".into(),
    };
    assert_eq!(<Doc as Describe<Json>>::describe(&doc), "described as json");
    assert_eq!(<Doc as Describe<Yaml>>::describe(&doc), "described as yaml");
}

static BOOK_RENDERS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Book(u8);

impl<F: Format> Render<F> for Book {
    #[cache_data]
    fn render(&self) -> String {
        BOOK_RENDERS.fetch_add(1, SeqCst);
        format!("book {} as {}", self.0, F::NAME)
    }
}

#[test]
fn clear_entry_of_a_generic_trait_method_reaches_its_instances() {
    let book = Book(1);
    assert_eq!(<Book as Render<Json>>::render(&book), "book 1 as json");
    assert_eq!(<Book as Render<Yaml>>::render(&book), "book 1 as yaml");
    assert_eq!(BOOK_RENDERS.load(SeqCst), 2);
    fncache::cache_of(<Book as Render<Json>>::render).clear_entry(&book, ());
    assert_eq!(<Book as Render<Json>>::render(&book), "book 1 as json");
    assert_eq!(BOOK_RENDERS.load(SeqCst), 3, "the entry was cleared");
}
