// Trait impl methods and a cached default method; `cache_of(<T as Trait>::method)`.
use fncache::{cache_data, cache_of};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static RUNS: AtomicUsize = AtomicUsize::new(0);

trait Shape: Serialize {
    fn area(&self) -> f64;

    #[cache_data]
    fn label(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.area())
    }
}

#[derive(Serialize)]
struct Square(f64);

impl Shape for Square {
    #[cache_data]
    fn area(&self) -> f64 {
        RUNS.fetch_add(1, SeqCst);
        self.0 * self.0
    }
}

fn main() {
    let s = Square(2.0);
    assert_eq!(s.area(), 4.0);
    assert_eq!(s.area(), 4.0);
    assert_eq!(RUNS.load(SeqCst), 1);
    assert_eq!(s.label("area "), "area 4");
    cache_of(<Square as Shape>::area).clear_entry(&s, ());
    assert_eq!(s.area(), 4.0);
    assert_eq!(RUNS.load(SeqCst), 2);
    cache_of(<Square as Shape>::label).clear();
}
