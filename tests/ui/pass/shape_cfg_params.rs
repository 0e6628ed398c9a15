// `#[cfg]` on parameters: a removed parameter is gone from the call, the key and the companion.
use fncache::cache_data;

#[cache_data]
fn build(#[cfg(any())] debug: bool, #[cfg(not(any()))] level: u8, name: &str) -> String {
    format!("{name}:{level}")
}

fn main() {
    assert_eq!(build(3, "x"), "x:3");
    build::clear_entry(3, "x");
}
