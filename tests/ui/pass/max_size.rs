//! Every form of `max_size`, and `weigh` on a resource, with `max_size` or alone.
use fncache::{cache_data, cache_resource};

#[cache_data(max_size = 1_000_000)]
fn bytes(x: u32) -> u32 {
    x
}

#[cache_data(max_size = "500MB", max_entries = 10)]
fn decimal(x: u32) -> u32 {
    x
}

#[cache_data(max_size = "1.5GiB", ttl = "1h")]
fn binary(x: u32) -> u32 {
    x
}

#[cache_data(max_size = "64 kib", persist = true)]
fn lower_case(x: u32) -> u32 {
    x
}

struct Model(Vec<u8>);

impl Model {
    fn bytes(&self) -> usize {
        self.0.len()
    }
}

#[cache_resource(max_size = "4GiB", weigh = Model::bytes)]
fn model(x: u8) -> Model {
    Model(vec![x; 10])
}

#[cache_resource(max_size = "1TB", weigh = |v: &Vec<u8>| v.len())]
fn blob(x: u8) -> Vec<u8> {
    vec![x; 10]
}

/// `weigh` alone: what the memory budget and `memory_used` count of the value.
#[cache_resource(weigh = |v: &Vec<u8>| v.len())]
fn weighed(x: u8) -> Vec<u8> {
    vec![x; 10]
}

fn main() {
    assert_eq!(bytes(1) + decimal(2) + binary(3) + lower_case(4), 10);
    assert_eq!(model(1).bytes(), 10);
    assert_eq!(blob(2).len(), 10);
    assert_eq!(weighed(3).len(), 10);
}
