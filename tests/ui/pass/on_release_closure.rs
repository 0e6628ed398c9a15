use fncache::cache_resource;
use std::sync::Mutex;

static RELEASED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[cache_resource(max_entries = 1, on_release = |s: &String| RELEASED.lock().unwrap().push(s.clone()))]
fn name(id: u32) -> String {
    format!("#{id}")
}

fn main() {
    name(1);
    name(2); // evicts 1
    assert_eq!(*RELEASED.lock().unwrap(), ["#1"]);
}
