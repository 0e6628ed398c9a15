use fncache::cache_data;

const SECONDS: u64 = 60;

#[cache_data(ttl = SECONDS)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
