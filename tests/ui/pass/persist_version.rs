use fncache::cache_data;

#[cache_data(persist = true, version = 3)]
fn numbered(x: u64) -> u64 {
    x + 1
}

#[cache_data(persist = "disk", version = "2024-06", ttl = "1h")]
fn named(x: u64) -> String {
    x.to_string()
}

fn main() {
    assert_eq!(numbered(1), 2);
    assert_eq!(named(2), "2");
}
