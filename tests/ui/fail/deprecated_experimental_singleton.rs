// `#[experimental_singleton]` still caches, and warns once, on the attribute, naming
// `#[cache_resource]`.
#![deny(deprecated)]

use fncache::experimental_singleton;

struct Model {
    layers: usize,
}

#[experimental_singleton(max_entries = 2)]
fn load_model(layers: usize) -> Model {
    Model { layers }
}

fn main() {
    assert_eq!(load_model(4).layers, 4);
}
