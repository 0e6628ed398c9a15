use fncache::cache_data;

// `version` says what persisted entries belong to: without `persist` there are none.
#[cache_data(version = 2)]
fn load(x: u64) -> u64 {
    x
}

fn main() {
    let _ = load(1);
}
