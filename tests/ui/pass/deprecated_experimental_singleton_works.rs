// `#[experimental_singleton]` with `#[cache_resource]`'s options still compiles and shares one
// `Arc` per key; `-> T` becomes `-> Arc<T>` as with `#[cache_resource]`.
#![allow(deprecated)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use fncache::experimental_singleton;

struct Connection {
    open: AtomicBool,
}

static RELEASED: AtomicUsize = AtomicUsize::new(0);

fn is_open(c: &Connection) -> bool {
    c.open.load(SeqCst)
}

#[experimental_singleton(ttl = 60, max_entries = 4, show_spinner = "Connecting...", validate = is_open, on_release = |_: &Connection| { RELEASED.fetch_add(1, SeqCst); })]
fn connect(_url: String) -> Connection {
    Connection {
        open: AtomicBool::new(true),
    }
}

#[experimental_singleton]
fn maybe(ok: bool) -> Result<String, String> {
    if ok {
        Ok("yes".into())
    } else {
        Err("no".into())
    }
}

fn main() {
    let a: Arc<Connection> = connect("db".into());
    let b = connect("db".into());
    assert!(Arc::ptr_eq(&a, &b));
    a.open.store(false, SeqCst);
    let c = connect("db".into());
    assert!(!Arc::ptr_eq(&a, &c), "a failed validate must recompute");
    assert_eq!(RELEASED.load(SeqCst), 1);
    connect::clear();
    assert_eq!(RELEASED.load(SeqCst), 2);

    let shared: Result<Arc<String>, String> = maybe(true);
    assert!(Arc::ptr_eq(&shared.unwrap(), &maybe(true).unwrap()));
    assert_eq!(maybe(false), Err("no".to_owned()));
}
