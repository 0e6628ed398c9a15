use fncache::{cache_data, cache_of};
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(serde::Serialize)]
struct Circle {
    r: f64,
}

impl Circle {
    #[cache_data]
    fn area(&self, scale: f64) -> f64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        3.0 * self.r * self.r * scale
    }
}

fn main() {
    let c = Circle { r: 2.0 };
    assert_eq!(c.area(1.0), 12.0);
    assert_eq!(c.area(1.0), 12.0);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(Circle { r: 1.0 }.area(1.0), 3.0);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    cache_of(Circle::area).clear_entry(&c, (1.0,));
    c.area(1.0);
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
}
