use fncache::cache_resource;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct Connection {
    alive: AtomicBool,
}

fn is_alive(c: &Connection) -> bool {
    c.alive.load(Ordering::SeqCst)
}

#[cache_resource(validate = is_alive)]
fn connect(_url: &str) -> Connection {
    Connection {
        alive: AtomicBool::new(true),
    }
}

fn main() {
    let a = connect("db://x");
    assert!(Arc::ptr_eq(&a, &connect("db://x")));
    a.alive.store(false, Ordering::SeqCst);
    let b = connect("db://x");
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(is_alive(&b));
}
