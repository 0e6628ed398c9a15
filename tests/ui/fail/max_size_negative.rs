use fncache::cache_data;

#[cache_data(max_size = -100)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
