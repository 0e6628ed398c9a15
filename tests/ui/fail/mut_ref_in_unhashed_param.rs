// Leaving a `&mut` out of the key does not help: a hit still skips the writes through it.
use fncache::{cache_data, cache_resource};

#[cache_data]
fn parse(text: String, _errors: &mut Vec<String>) -> usize {
    _errors.push(text.clone());
    text.len()
}

#[cache_resource]
fn open(name: String, _: &mut u32) -> String {
    name
}

fn main() {
    let mut errors = Vec::new();
    parse("x".into(), &mut errors);
    open("db".into(), &mut 0);
}
