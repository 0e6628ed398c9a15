use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};

fn main() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[cache_data]
    fn mirror(p: Point) -> Point {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Point { x: p.y, y: p.x }
    }

    let p = Point { x: 1, y: 2 };
    assert_eq!(mirror(p.clone()), Point { x: 2, y: 1 });
    assert_eq!(mirror(p.clone()), Point { x: 2, y: 1 });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    mirror::clear_entry(p);
    assert_eq!(mirror::__fncache().len(), 0);
}
