use fncache::cache_data;

const LIMIT: u64 = 1000;

#[cache_data(max_size = LIMIT)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
