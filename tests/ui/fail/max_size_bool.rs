use fncache::cache_data;

#[cache_data(max_size = true)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
