//! `fncache::memory_used()`: the bytes every cache of the process holds, as `max_size` counts
//! them. Its own test binary, so that no other test's caches are counted.

use fncache::{ENTRY_OVERHEAD, cache_data, cache_resource, memory_used};

#[cache_data(show_spinner = false)]
fn table(len: usize) -> Vec<u8> {
    vec![1; len]
}

struct Model(Vec<u8>);

#[cache_resource(max_size = "1GB", weigh = |m: &Model| m.0.len(), show_spinner = false)]
fn model(len: usize) -> Model {
    Model(vec![2; len])
}

#[cache_resource(show_spinner = false)]
fn unweighed(len: usize) -> Vec<u8> {
    vec![3; len]
}

#[test]
fn memory_used_counts_every_entry_as_max_size_does_and_drops_with_clears() {
    assert_eq!(memory_used(), 0);
    table(1000);
    // The codec's byte, bincode's length of 1000 (three bytes) and the bytes themselves.
    let table_entry = 1 + 3 + 1000 + ENTRY_OVERHEAD;
    assert_eq!(memory_used(), table_entry);
    table(1000);
    assert_eq!(memory_used(), table_entry, "a hit adds nothing");
    model(5000);
    assert_eq!(memory_used(), table_entry + 5000 + ENTRY_OVERHEAD);
    unweighed(7000);
    assert_eq!(
        memory_used(),
        table_entry + 5000 + 2 * ENTRY_OVERHEAD,
        "a resource without `weigh` counts its overhead only"
    );
    table::clear_entry(1000);
    assert_eq!(memory_used(), 5000 + 2 * ENTRY_OVERHEAD);
    fncache::cache_resource::clear();
    assert_eq!(memory_used(), 0);
}
