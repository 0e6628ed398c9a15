use fncache::cache_data;

#[cache_data(ttl = 60, max_entries = 10, ttl = "1h")]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
