// A hashed shared reference to a `Mutex` or `RwLock`, on both attributes.
use fncache::{cache_data, cache_resource};
use std::sync::{Arc, Mutex, RwLock};

#[cache_data]
fn next_id(counter: &Mutex<u64>) -> u64 {
    let mut n = counter.lock().unwrap();
    *n += 1;
    *n
}

#[cache_resource]
fn client(config: &Arc<std::sync::RwLock<String>>) -> String {
    config.read().unwrap().clone()
}

fn main() {
    next_id(&Mutex::new(0));
    client(&Arc::new(RwLock::new("x".into())));
}
