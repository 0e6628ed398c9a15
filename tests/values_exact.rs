//! Values come back exactly (issue 9, cases 8–11 and the silent misses): a hit returns what
//! the function computed, or the call is computed again; never another value.
//!
//! Each function counts its runs, so a test sees both what came back and whether it was a
//! hit. The cases are the serde attributes that break bincode's positional format
//! (`skip_serializing_if`, a field or variant skipped on one side), std types whose serde
//! impls drop state, and the return types that need a self-describing format (JSON values,
//! `flatten`, untagged, internally and adjacently tagged enums).

use std::net::{Ipv6Addr, SocketAddrV6};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};

use fncache::cache_data;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Runs `f`, returning its value and how many times `counter` went up meanwhile.
fn counted<T>(counter: &AtomicUsize, f: impl FnOnce() -> T) -> (T, usize) {
    let before = counter.load(Ordering::SeqCst);
    let value = f();
    (value, counter.load(Ordering::SeqCst) - before)
}

// --- 8: `skip_serializing_if` ------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    coupon: Option<String>,
    items: Vec<u32>,
    sizes: Vec<u8>,
}

static ORDERS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn order(seed: u64, coupon: Option<String>, items: Vec<u32>, sizes: Vec<u8>) -> Order {
    let _ = seed;
    ORDERS.fetch_add(1, Ordering::SeqCst);
    Order {
        coupon,
        items,
        sizes,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// The trial: 88 of 1000 random orders came back as other orders, the rest were
    /// not cached. Now every one is cached and every hit equals what was computed.
    #[test]
    fn skip_serializing_if_orders_come_back_exactly(
        seed in any::<u64>(),
        coupon in proptest::option::of("[a-z]{0,6}"),
        items in proptest::collection::vec(any::<u32>(), 0..6),
        sizes in proptest::collection::vec(any::<u8>(), 0..6),
    ) {
        let expected = Order { coupon: coupon.clone(), items: items.clone(), sizes: sizes.clone() };
        let first = order(seed, coupon.clone(), items.clone(), sizes.clone());
        prop_assert_eq!(&first, &expected);
        let (hit, runs) = counted(&ORDERS, || order(seed, coupon, items, sizes));
        prop_assert_eq!(hit, expected);
        prop_assert_eq!(runs, 0, "the second call is a hit");
    }
}

// --- 9: a variant that is not deserialized -----------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Status {
    Pending,
    #[serde(skip_deserializing)]
    Queued,
    Running,
    Done,
}

static STATUSES: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn status(n: u8) -> Status {
    STATUSES.fetch_add(1, Ordering::SeqCst);
    [
        Status::Pending,
        Status::Queued,
        Status::Running,
        Status::Done,
    ][usize::from(n) % 4]
}

#[test]
fn a_skipped_variant_does_not_shift_its_successors() {
    for (n, expected) in [
        (0, Status::Pending),
        (1, Status::Queued),
        (2, Status::Running),
        (3, Status::Done),
    ] {
        assert_eq!(status(n), expected);
        let (again, runs) = counted(&STATUSES, || status(n));
        assert_eq!(again, expected, "status({n})");
        // `Queued` cannot be read back by any format: it is computed each time.
        assert_eq!(runs, usize::from(expected == Status::Queued), "status({n})");
    }
}

/// The same without `PartialEq`: the check is the trace of names, which sees the renumbering.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Phase {
    #[serde(skip)]
    Draft,
    Review,
    Final,
}

static PHASES: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn phase(n: u8) -> Phase {
    PHASES.fetch_add(1, Ordering::SeqCst);
    [Phase::Draft, Phase::Review, Phase::Final][usize::from(n) % 3]
}

#[test]
fn a_skipped_variant_without_partial_eq_comes_back_exactly_or_not_at_all() {
    for n in 0..3u8 {
        let first = format!("{:?}", phase(n));
        let (again, runs) = counted(&PHASES, || phase(n));
        assert_eq!(format!("{again:?}"), first, "phase({n})");
        assert!(runs <= 1);
    }
    // `Review` and `Final` are written with the indices 1 and 2, which `Deserialize` reads
    // as `Final` and nothing: bincode cannot carry them, CBOR (by name) can.
    let (_, runs) = counted(&PHASES, || phase(1));
    assert_eq!(runs, 0, "phase(1) is cached");
}

// --- 10: a field skipped on one side only -------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OneSided {
    #[serde(skip_deserializing)]
    written_only: u32,
    #[serde(skip_serializing, default)]
    read_only: u32,
    kept: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OneSidedNoEq {
    #[serde(skip_deserializing)]
    written_only: u32,
    kept: u32,
}

static ONE_SIDED: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn one_sided(seed: u32) -> OneSided {
    ONE_SIDED.fetch_add(1, Ordering::SeqCst);
    OneSided {
        written_only: seed.wrapping_mul(3),
        read_only: 0,
        kept: seed,
    }
}

#[cache_data]
fn one_sided_no_eq(seed: u32) -> OneSidedNoEq {
    ONE_SIDED.fetch_add(1, Ordering::SeqCst);
    OneSidedNoEq {
        written_only: 0,
        kept: seed,
    }
}

#[test]
fn a_field_skipped_on_one_side_never_shifts_the_decoding() {
    for seed in 0..30u32 {
        let expected = one_sided(seed);
        let (again, _) = counted(&ONE_SIDED, || one_sided(seed));
        assert_eq!(again, expected, "seed {seed}");
        // The one field that is only written is 0: what a hit decodes equals the value, so
        // it may be cached; with another value it must not be (it would come back as 0).
        let no_eq = one_sided_no_eq(seed);
        let (again, _) = counted(&ONE_SIDED, || one_sided_no_eq(seed));
        assert_eq!((again.written_only, again.kept), (no_eq.written_only, seed));
    }
}

// --- 11: std types whose serde impls drop state, and `#[serde(skip)]` ---------------------

static LOSSY: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn socket(scope: u32) -> SocketAddrV6 {
    LOSSY.fetch_add(1, Ordering::SeqCst);
    SocketAddrV6::new(Ipv6Addr::LOCALHOST, 8080, 7, scope)
}

#[cache_data]
fn drained(n: u8) -> RangeInclusive<u8> {
    LOSSY.fetch_add(1, Ordering::SeqCst);
    let mut range = 0..=n;
    for _ in range.by_ref() {}
    range
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WithSkipped {
    name: String,
    #[serde(skip)]
    visits: u32,
}

#[cache_data]
fn with_skipped(visits: u32) -> WithSkipped {
    LOSSY.fetch_add(1, Ordering::SeqCst);
    WithSkipped {
        name: String::from("n"),
        visits,
    }
}

#[test]
fn std_types_that_lose_state_in_serde_are_recomputed_not_returned_wrong() {
    for _ in 0..2 {
        let addr = socket(3);
        assert_eq!((addr.scope_id(), addr.flowinfo()), (3, 7));
        let range = drained(4);
        assert!(range.is_empty(), "a drained range stays drained");
        assert_eq!(range, {
            let mut r = 0..=4;
            for _ in r.by_ref() {}
            r
        });
        assert_eq!(with_skipped(5).visits, 5);
    }
    // The default of a skipped field equals the value: that one may be cached.
    let _ = with_skipped(0);
    let (value, runs) = counted(&LOSSY, || with_skipped(0));
    assert_eq!((value.visits, runs), (0, 0));
}

// --- Silent misses: return types that need a self-describing format ----------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Lookup {
    ById { id: u64 },
    ByPhone { phone: u64 },
    Raw(u64),
    Other(u64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
enum Internal {
    Circle { r: u32 },
    Square { side: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Num(u32),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Flat {
    id: u32,
    #[serde(flatten)]
    extra: std::collections::BTreeMap<String, u32>,
}

/// An untagged enum without `PartialEq`: serialized forms cannot tell `A(5)` from `B(5)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Ambiguous {
    A(u64),
    B(u64),
}

static SELF_DESCRIBING: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn json(n: u8) -> serde_json::Value {
    SELF_DESCRIBING.fetch_add(1, Ordering::SeqCst);
    match n {
        0 => serde_json::json!(false),
        1 => serde_json::json!([]),
        2 => serde_json::json!(""),
        3 => serde_json::json!({}),
        4 => serde_json::json!(null),
        5 => serde_json::json!([null]),
        _ => serde_json::json!({"b": [1, 2.5, "x"], "a": {"n": null}}),
    }
}

#[cache_data]
fn lookup(n: u8) -> Lookup {
    SELF_DESCRIBING.fetch_add(1, Ordering::SeqCst);
    match n {
        0 => Lookup::ById { id: 42 },
        1 => Lookup::ByPhone { phone: 42 },
        2 => Lookup::Raw(42),
        _ => Lookup::Other(42),
    }
}

#[cache_data]
fn internal(n: u32) -> Internal {
    SELF_DESCRIBING.fetch_add(1, Ordering::SeqCst);
    if n.is_multiple_of(2) {
        Internal::Circle { r: n }
    } else {
        Internal::Square { side: n }
    }
}

#[cache_data]
fn adjacent(n: u32) -> Adjacent {
    SELF_DESCRIBING.fetch_add(1, Ordering::SeqCst);
    if n.is_multiple_of(2) {
        Adjacent::Num(n)
    } else {
        Adjacent::Text(n.to_string())
    }
}

#[cache_data]
fn flat(n: u32) -> Flat {
    SELF_DESCRIBING.fetch_add(1, Ordering::SeqCst);
    Flat {
        id: n,
        extra: [(String::from("k"), n + 1)].into(),
    }
}

#[cache_data]
fn ambiguous(b: bool) -> Ambiguous {
    SELF_DESCRIBING.fetch_add(1, Ordering::SeqCst);
    if b { Ambiguous::B(5) } else { Ambiguous::A(5) }
}

#[test]
fn json_values_are_cached_and_come_back_exactly() {
    for n in 0..7 {
        let first = json(n);
        let (again, runs) = counted(&SELF_DESCRIBING, || json(n));
        assert_eq!((again, runs), (first, 0), "json({n})");
    }
}

#[test]
fn untagged_internally_and_adjacently_tagged_and_flattened_types_are_cached() {
    for n in 0..4 {
        let first = lookup(n);
        let (again, runs) = counted(&SELF_DESCRIBING, || lookup(n));
        assert_eq!(again, first);
        // CBOR keeps field names, so `ByPhone { phone }` is told from `ById { id }`; but
        // `Other(42)` is written as a bare 42, which reads back as `Raw(42)`: `==` sees it,
        // so that one is computed each time, and the others are hits.
        assert_eq!(runs, usize::from(n == 3), "lookup({n})");
    }
    for n in 0..4 {
        for (first, again) in [
            (format!("{:?}", internal(n)), {
                let (v, runs) = counted(&SELF_DESCRIBING, || internal(n));
                assert_eq!(runs, 0);
                format!("{v:?}")
            }),
            (format!("{:?}", adjacent(n)), {
                let (v, runs) = counted(&SELF_DESCRIBING, || adjacent(n));
                assert_eq!(runs, 0);
                format!("{v:?}")
            }),
            (format!("{:?}", flat(n)), {
                let (v, runs) = counted(&SELF_DESCRIBING, || flat(n));
                assert_eq!(runs, 0);
                format!("{v:?}")
            }),
        ] {
            assert_eq!(again, first);
        }
    }
}

#[test]
fn an_untagged_enum_without_partial_eq_never_answers_with_another_variant() {
    for _ in 0..3 {
        assert!(matches!(ambiguous(true), Ambiguous::B(5)));
        assert!(matches!(ambiguous(false), Ambiguous::A(5)));
    }
}

// --- Generic return types: the probe finds `==` only where the bound says so --------------

static GENERIC: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn generic_with_eq<T>(value: T) -> T
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + Clone + 'static,
{
    GENERIC.fetch_add(1, Ordering::SeqCst);
    value
}

#[cache_data]
fn generic_without_eq<T>(value: T) -> T
where
    T: Serialize + serde::de::DeserializeOwned + Clone + 'static,
{
    GENERIC.fetch_add(1, Ordering::SeqCst);
    value
}

#[test]
fn generic_return_types_are_checked_too() {
    let order = Order {
        coupon: None,
        items: vec![1],
        sizes: vec![],
    };
    assert_eq!(generic_with_eq(order.clone()), order);
    let (again, runs) = counted(&GENERIC, || generic_with_eq(order.clone()));
    assert_eq!((again, runs), (order.clone(), 0));
    assert_eq!(generic_without_eq(order.clone()), order);
    let (again, runs) = counted(&GENERIC, || generic_without_eq(order.clone()));
    assert_eq!((again, runs), (order, 0));
    let addr = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 1, 0, 9);
    for _ in 0..2 {
        assert_eq!(generic_with_eq(addr).scope_id(), 9);
    }
}

// --- 7: std types whose serde impls drop state, as arguments ------------------------------

static ADDRESSES: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn describe_addr(addr: SocketAddrV6) -> String {
    ADDRESSES.fetch_add(1, Ordering::SeqCst);
    format!(
        "{} flow {} scope {}",
        addr,
        addr.flowinfo(),
        addr.scope_id()
    )
}

#[cache_data]
fn describe_any_addr(addr: &std::net::SocketAddr) -> String {
    ADDRESSES.fetch_add(1, Ordering::SeqCst);
    match addr {
        std::net::SocketAddr::V6(v6) => format!("scope {}", v6.scope_id()),
        std::net::SocketAddr::V4(v4) => v4.to_string(),
    }
}

#[cache_data]
fn range_len(range: RangeInclusive<u8>) -> usize {
    ADDRESSES.fetch_add(1, Ordering::SeqCst);
    range.count()
}

#[test]
fn socket_addresses_differing_only_in_scope_or_flow_have_their_own_keys() {
    let addr = |flow, scope| SocketAddrV6::new(Ipv6Addr::LOCALHOST, 80, flow, scope);
    assert_eq!(describe_addr(addr(0, 1)), "[::1%1]:80 flow 0 scope 1");
    assert_eq!(describe_addr(addr(0, 2)), "[::1%2]:80 flow 0 scope 2");
    assert_eq!(describe_addr(addr(5, 2)), "[::1%2]:80 flow 5 scope 2");
    let (again, runs) = counted(&ADDRESSES, || describe_addr(addr(0, 2)));
    assert_eq!((again.as_str(), runs), ("[::1%2]:80 flow 0 scope 2", 0));
    assert_eq!(describe_any_addr(&addr(0, 3).into()), "scope 3");
    assert_eq!(describe_any_addr(&addr(0, 4).into()), "scope 4");
}

#[test]
fn an_exhausted_range_keys_apart_from_a_fresh_one() {
    let fresh = 0..=4u8;
    let mut drained = 0..=4u8;
    for _ in drained.by_ref() {}
    assert_eq!(range_len(fresh), 5);
    assert_eq!(range_len(drained), 0);
}
