use fncache::cache_data;

#[cache_data(ttl = "5 parsecs", max_entries = 0, show_time = 1)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
