//! A tour of fncache in one program: `cargo run --example quickstart`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use fncache::{cache_data, cache_resource};

/// Slow data: the first call takes a while, the next ones are instant copies.
#[cache_data(ttl = "1h", max_entries = 100)]
fn load_table(name: String) -> Vec<u32> {
    thread::sleep(Duration::from_millis(800));
    name.bytes().map(u32::from).collect()
}

/// A resource: created once and shared, checked on every hit.
struct Connection {
    url: String,
    alive: AtomicBool,
}

fn is_alive(connection: &Connection) -> bool {
    connection.alive.load(Ordering::SeqCst)
}

#[cache_resource(validate = is_alive, on_release = |c: &Connection| println!("   (released the connection to {})", c.url))]
fn connect(url: String, _timeout: Duration) -> Connection {
    thread::sleep(Duration::from_millis(300));
    println!("   (opened a connection to {url})");
    Connection {
        url,
        alive: AtomicBool::new(true),
    }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    println!("{what}: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    value
}

fn main() {
    println!("1. #[cache_data]: a slow function becomes instant on the second call");
    let first = timed("   first call (computes)", || load_table("users".into()));
    let mut second = timed("   second call (cache hit)", || load_table("users".into()));
    assert_eq!(first, second);

    println!("2. every hit is a fresh copy: mutating it changes nothing for the next caller");
    second.clear();
    let third = load_table("users".into());
    println!(
        "   we emptied our copy ({} rows); the next hit still has {} rows",
        second.len(),
        third.len()
    );
    assert_eq!(third, first);

    println!(
        "3. #[cache_resource]: one shared Arc, whatever `_timeout` says (it is not in the key)"
    );
    let a: Arc<Connection> = timed("   connect (computes)", || {
        connect("db://main".into(), Duration::from_secs(5))
    });
    let b = timed("   connect (hit)", || {
        connect("db://main".into(), Duration::from_secs(30))
    });
    println!("   same object: {}", Arc::ptr_eq(&a, &b));
    assert!(Arc::ptr_eq(&a, &b));

    println!("4. `validate` recomputes a broken resource");
    a.alive.store(false, Ordering::SeqCst);
    let c = connect("db://main".into(), Duration::from_secs(5));
    println!(
        "   a new connection after the old one broke: {}",
        !Arc::ptr_eq(&a, &c)
    );
    assert!(!Arc::ptr_eq(&a, &c));

    println!("5. clear(): the next call computes again");
    load_table::clear();
    timed("   after load_table::clear()", || {
        load_table("users".into())
    });
    connect::clear_entry("db://main".into());
    fncache::cache_data::clear();
    println!("done");
}
