//! Methods and associated functions: `self` is part of the key (two instances with different
//! state never share an entry, two equal ones do), `hash_self = false` leaves it out, trait impl
//! methods and associated functions returning `Self` work, and `fncache::cache_of(Type::method)`
//! clears one method's entries, all or one.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use fncache::{cache_data, cache_of, cache_resource};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// `&self` in the key.

static SCALE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Scaler {
    factor: u32,
}

impl Scaler {
    #[cache_data]
    fn scale(&self, x: u32) -> u32 {
        SCALE_CALLS.fetch_add(1, SeqCst);
        self.factor * x
    }
}

#[test]
fn two_instances_with_different_self_never_share_an_entry() {
    let two = Scaler { factor: 2 };
    let three = Scaler { factor: 3 };
    assert_eq!(two.scale(5), 10);
    assert_eq!(three.scale(5), 15, "same argument, other receiver: a miss");
    assert_eq!(SCALE_CALLS.load(SeqCst), 2);
    assert_eq!(two.scale(5), 10);
    assert_eq!(three.scale(5), 15);
    assert_eq!(
        SCALE_CALLS.load(SeqCst),
        2,
        "each receiver hits its own entry"
    );
    let another_two = Scaler { factor: 2 };
    assert_eq!(another_two.scale(5), 10);
    assert_eq!(
        SCALE_CALLS.load(SeqCst),
        2,
        "an equal instance is the same key: the key holds self's value, not its address"
    );
}

static AREA_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Circle {
    r: f64,
}

impl Circle {
    #[cache_data]
    fn area(&self, scale: f64) -> f64 {
        AREA_CALLS.fetch_add(1, SeqCst);
        3.0 * self.r * self.r * scale
    }
}

#[test]
fn cache_of_clears_all_or_one_entry_of_a_method() {
    let one = Circle { r: 1.0 };
    let two = Circle { r: 2.0 };
    let calls = || AREA_CALLS.load(SeqCst);
    assert_eq!(one.area(1.0), 3.0);
    assert_eq!(one.area(2.0), 6.0);
    assert_eq!(two.area(1.0), 12.0);
    assert_eq!(calls(), 3);

    let handle = cache_of(Circle::area);
    assert!(handle.name().ends_with("Circle::area"), "{}", handle.name());
    handle.clear_entry(&one, (2.0,));
    assert_eq!(one.area(1.0), 3.0);
    assert_eq!(two.area(1.0), 12.0);
    assert_eq!(calls(), 3, "the other entries stay");
    assert_eq!(one.area(2.0), 6.0);
    assert_eq!(calls(), 4, "that one entry went");

    handle.clear_entry(&two, (1.0,));
    assert_eq!(one.area(1.0), 3.0);
    assert_eq!(calls(), 4);
    assert_eq!(two.area(1.0), 12.0);
    assert_eq!(calls(), 5);

    cache_of(Circle::area).clear();
    assert_eq!(one.area(1.0), 3.0);
    assert_eq!(one.area(2.0), 6.0);
    assert_eq!(two.area(1.0), 12.0);
    assert_eq!(calls(), 8, "every entry went");
}

// ---------------------------------------------------------------------------------------------
// `self` by value, a typed receiver, `Self` in the return type, a resource method.

static BY_VALUE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Version {
    major: u32,
    minor: u32,
}

impl Version {
    #[cache_data]
    fn into_label(self) -> String {
        BY_VALUE_CALLS.fetch_add(1, SeqCst);
        format!("v{}.{}", self.major, self.minor)
    }

    #[cache_data]
    fn bumped(&self, by: u32) -> Self {
        BY_VALUE_CALLS.fetch_add(1, SeqCst);
        Version {
            major: self.major,
            minor: self.minor + by,
        }
    }

    #[cache_data]
    fn no_args(&self) -> u32 {
        self.major * 100 + self.minor
    }

    #[cache_data]
    fn boxed(self: Box<Self>) -> u32 {
        BY_VALUE_CALLS.fetch_add(1, SeqCst);
        self.major
    }
}

#[test]
fn self_by_value_and_typed_receivers_are_keyed_by_self() {
    let v1 = Version { major: 1, minor: 2 };
    assert_eq!(v1.clone().into_label(), "v1.2");
    assert_eq!(v1.clone().into_label(), "v1.2");
    assert_eq!(Version { major: 1, minor: 3 }.into_label(), "v1.3");
    assert_eq!(BY_VALUE_CALLS.load(SeqCst), 2);

    assert_eq!(v1.bumped(1), Version { major: 1, minor: 3 });
    assert_eq!(v1.bumped(1), Version { major: 1, minor: 3 });
    assert_eq!(BY_VALUE_CALLS.load(SeqCst), 3);
    assert_eq!(Version { major: 2, minor: 2 }.bumped(1).major, 2);
    assert_eq!(BY_VALUE_CALLS.load(SeqCst), 4);

    cache_of(Version::into_label).clear_entry(&v1, ());
    assert_eq!(v1.clone().into_label(), "v1.2");
    assert_eq!(
        BY_VALUE_CALLS.load(SeqCst),
        5,
        "cleared with `()` for no other arguments"
    );
    assert_eq!(v1.no_args(), 102);

    let calls = BY_VALUE_CALLS.load(SeqCst);
    assert_eq!(Box::new(v1.clone()).boxed(), 1);
    assert_eq!(Box::new(v1.clone()).boxed(), 1);
    assert_eq!(Box::new(Version { major: 3, minor: 2 }).boxed(), 3);
    assert_eq!(
        BY_VALUE_CALLS.load(SeqCst) - calls,
        2,
        "`self: Box<Self>` is keyed by its value"
    );
}

struct Db {
    url: String,
}

static OPEN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Config {
    url: String,
}

impl Config {
    #[cache_resource]
    fn open(&self) -> Db {
        OPEN_CALLS.fetch_add(1, SeqCst);
        Db {
            url: self.url.clone(),
        }
    }
}

#[test]
fn a_resource_method_shares_one_arc_per_receiver() {
    let a = Config { url: "a".into() };
    let b = Config { url: "b".into() };
    let first: Arc<Db> = a.open();
    assert!(Arc::ptr_eq(&first, &a.open()));
    assert!(!Arc::ptr_eq(&first, &b.open()));
    assert_eq!(b.open().url, "b");
    assert_eq!(OPEN_CALLS.load(SeqCst), 2);
    cache_of(Config::open).clear_entry(&a, ());
    assert!(!Arc::ptr_eq(&first, &a.open()));
    assert_eq!(OPEN_CALLS.load(SeqCst), 3);
}

// ---------------------------------------------------------------------------------------------
// `hash_self = false`: the receiver is not in the key (its type is), and need not be Serialize.

static LOOKUP_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Not `Serialize`: it holds a lock and a counter of its own.
struct Service {
    requests: Mutex<u32>,
}

impl Service {
    fn new() -> Self {
        Service {
            requests: Mutex::new(0),
        }
    }

    #[cache_data(hash_self = false)]
    fn lookup(&self, id: u32) -> String {
        LOOKUP_CALLS.fetch_add(1, SeqCst);
        *self.requests.lock().unwrap() += 1;
        format!("user {id}")
    }
}

#[test]
fn hash_self_false_shares_entries_between_instances() {
    let a = Service::new();
    let b = Service::new();
    assert_eq!(a.lookup(1), "user 1");
    assert_eq!(b.lookup(1), "user 1");
    assert_eq!(
        LOOKUP_CALLS.load(SeqCst),
        1,
        "any receiver, one entry per id"
    );
    assert_eq!(
        (*a.requests.lock().unwrap(), *b.requests.lock().unwrap()),
        (1, 0)
    );
    assert_eq!(b.lookup(2), "user 2");
    assert_eq!(LOOKUP_CALLS.load(SeqCst), 2);

    cache_of(Service::lookup).clear_entry_of::<Service, _>((1u32,));
    assert_eq!(a.lookup(2), "user 2");
    assert_eq!(LOOKUP_CALLS.load(SeqCst), 2, "id 2 stays");
    assert_eq!(b.lookup(1), "user 1");
    assert_eq!(LOOKUP_CALLS.load(SeqCst), 3, "id 1 went");

    cache_of(Service::lookup).clear();
    assert_eq!(a.lookup(2), "user 2");
    assert_eq!(LOOKUP_CALLS.load(SeqCst), 4);
}

// ---------------------------------------------------------------------------------------------
// Trait impl methods.

trait Shape {
    fn area(&self) -> f64;
    fn name(&self, prefix: &str) -> String;
}

static SHAPE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Square {
    side: f64,
}

#[derive(Serialize)]
struct Rect {
    w: f64,
    h: f64,
}

impl Shape for Square {
    #[cache_data]
    fn area(&self) -> f64 {
        SHAPE_CALLS.fetch_add(1, SeqCst);
        self.side * self.side
    }

    #[cache_data]
    fn name(&self, prefix: &str) -> String {
        format!("{prefix}square {}", self.side)
    }
}

impl Shape for Rect {
    #[cache_data]
    fn area(&self) -> f64 {
        SHAPE_CALLS.fetch_add(1, SeqCst);
        self.w * self.h
    }

    #[cache_data]
    fn name(&self, prefix: &str) -> String {
        format!("{prefix}rect {}x{}", self.w, self.h)
    }
}

#[test]
fn trait_impl_methods_are_cached_per_type_and_receiver() {
    let shapes: Vec<Box<dyn Shape>> = vec![
        Box::new(Square { side: 2.0 }),
        Box::new(Rect { w: 2.0, h: 2.0 }),
        Box::new(Square { side: 3.0 }),
    ];
    let areas: Vec<f64> = shapes.iter().map(|s| s.area()).collect();
    assert_eq!(areas, [4.0, 4.0, 9.0]);
    assert_eq!(SHAPE_CALLS.load(SeqCst), 3);
    let again: Vec<f64> = shapes.iter().map(|s| s.area()).collect();
    assert_eq!(again, areas, "through `dyn Shape` too");
    assert_eq!(SHAPE_CALLS.load(SeqCst), 3);
    assert_eq!(shapes[1].name("a "), "a rect 2x2");
    assert_eq!(shapes[0].name("a "), "a square 2");

    cache_of(<Square as Shape>::area).clear_entry(&Square { side: 2.0 }, ());
    shapes.iter().for_each(|s| assert!(s.area() > 0.0));
    assert_eq!(SHAPE_CALLS.load(SeqCst), 4, "only that square's entry went");
    cache_of(<Rect as Shape>::area).clear();
    shapes.iter().for_each(|s| assert!(s.area() > 0.0));
    assert_eq!(SHAPE_CALLS.load(SeqCst), 5, "only the rect's entry went");
}

/// A cached default method: one body for every implementor, keyed by the concrete `Self`.
trait Describe: Serialize {
    #[cache_data]
    fn describe(&self, prefix: &str) -> String {
        DESCRIBE_CALLS.fetch_add(1, SeqCst);
        format!(
            "{prefix}{}",
            std::any::type_name::<Self>().rsplit("::").next().unwrap()
        )
    }
}

static DESCRIBE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Cat(u8);

#[derive(Serialize)]
struct Dog(u8);

impl Describe for Cat {}
impl Describe for Dog {}

#[test]
fn a_cached_default_method_is_keyed_by_the_implementing_type() {
    // `Cat(1)` and `Dog(1)` serialize alike: only `Self`'s type tells them apart.
    assert_eq!(Cat(1).describe("a "), "a Cat");
    assert_eq!(Dog(1).describe("a "), "a Dog");
    assert_eq!(Cat(1).describe("a "), "a Cat");
    assert_eq!(Dog(1).describe("a "), "a Dog");
    assert_eq!(DESCRIBE_CALLS.load(SeqCst), 2);
}

/// A second cached default method, for the handle test below (its own `static` and counter).
trait Label: Serialize {
    #[cache_data]
    fn label(&self) -> String {
        LABEL_CALLS.fetch_add(1, SeqCst);
        std::any::type_name::<Self>().to_owned()
    }
}

static LABEL_CALLS: AtomicUsize = AtomicUsize::new(0);

impl Label for Cat {}
impl Label for Dog {}

/// Guards against: a cached default method has one `static` for every implementor, and it is
/// registered for `cache_of` only under the first type that calls it, so the handle of any
/// other implementor finds no cache and its `clear`/`clear_entry` silently do nothing.
#[test]
fn cache_of_a_default_method_reaches_every_implementors_entries() {
    let calls = || LABEL_CALLS.load(SeqCst);
    Cat(1).label(); // the first caller: the cache registers as `Cat::label`
    Dog(1).label();
    assert_eq!(calls(), 2);

    cache_of(<Dog as Label>::label).clear_entry(&Dog(1), ());
    Dog(1).label();
    assert_eq!(calls(), 3, "Dog's handle dropped Dog's entry");

    cache_of(<Dog as Label>::label).clear();
    Dog(1).label();
    assert_eq!(calls(), 4, "Dog's handle cleared Dog's entries");
}

// ---------------------------------------------------------------------------------------------
// Associated functions: `fn new(..) -> Self`, and one that does not mention `Self`.

static NEW_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Settings {
    name: String,
    retries: u32,
}

impl Settings {
    #[cache_data]
    fn new(name: &str, retries: u32) -> Self {
        NEW_CALLS.fetch_add(1, SeqCst);
        Settings {
            name: name.to_uppercase(),
            retries,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Other {
    name: String,
    retries: u32,
}

impl Other {
    #[cache_data]
    fn new(name: &str, retries: u32) -> Self {
        Other {
            name: name.to_lowercase(),
            retries,
        }
    }
}

#[test]
fn an_associated_new_is_cached_like_a_free_function() {
    let a = Settings::new("app", 3);
    let b = Settings::new("app", 3);
    assert_eq!(a, b);
    assert_eq!(a.name, "APP");
    assert_eq!(NEW_CALLS.load(SeqCst), 1);
    assert_eq!(Settings::new("app", 4).retries, 4);
    assert_eq!(NEW_CALLS.load(SeqCst), 2);
    assert_eq!(
        Other::new("APP", 3).name,
        "app",
        "same name and arguments in another type: not the same entry"
    );

    cache_of(Settings::new).clear_entry_of::<Settings, _>(("app", 3u32));
    Settings::new("app", 4);
    assert_eq!(NEW_CALLS.load(SeqCst), 2);
    Settings::new("app", 3);
    assert_eq!(
        NEW_CALLS.load(SeqCst),
        3,
        "cleared by its arguments, with `Self` as the type"
    );
    cache_of(Settings::new).clear();
    Settings::new("app", 4);
    assert_eq!(NEW_CALLS.load(SeqCst), 4);
}

// ---------------------------------------------------------------------------------------------
// Methods of a generic type: `Self` is `Wrapper<u32>` or `Wrapper<u64>`.

static WRAPPED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Wrapper<T> {
    value: T,
}

impl<T: Serialize + std::fmt::Display> Wrapper<T> {
    #[cache_data]
    fn show(&self) -> String {
        WRAPPED_CALLS.fetch_add(1, SeqCst);
        format!("{} as {}", self.value, std::any::type_name::<T>())
    }
}

#[test]
fn methods_of_a_generic_type_are_keyed_by_the_concrete_self() {
    let small = Wrapper { value: 7u32 };
    let large = Wrapper { value: 7u64 };
    assert_eq!(small.show(), "7 as u32");
    assert_eq!(large.show(), "7 as u64");
    assert_eq!(small.show(), "7 as u32");
    assert_eq!(WRAPPED_CALLS.load(SeqCst), 2);
    // One handle for every instantiation (`Wrapper::show` lists no type arguments).
    cache_of(Wrapper::<u32>::show).clear();
    small.show();
    large.show();
    assert_eq!(WRAPPED_CALLS.load(SeqCst), 4);
}

// ---------------------------------------------------------------------------------------------
// An async method.

static FETCH_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Serialize)]
struct Client {
    base: String,
}

impl Client {
    #[cache_data]
    async fn fetch(&self, path: &str) -> String {
        FETCH_CALLS.fetch_add(1, SeqCst);
        format!("{}/{path}", self.base)
    }
}

#[test]
fn an_async_method_is_keyed_by_self() {
    let a = Client { base: "a".into() };
    let b = Client { base: "b".into() };
    futures_executor::block_on(async {
        assert_eq!(a.fetch("x").await, "a/x");
        assert_eq!(a.fetch("x").await, "a/x");
        assert_eq!(b.fetch("x").await, "b/x");
    });
    assert_eq!(FETCH_CALLS.load(SeqCst), 2);
    cache_of(Client::fetch).clear_entry(&a, ("x",));
    assert_eq!(futures_executor::block_on(a.fetch("x")), "a/x");
    assert_eq!(FETCH_CALLS.load(SeqCst), 3);
}
