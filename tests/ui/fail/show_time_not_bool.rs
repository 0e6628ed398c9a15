use fncache::cache_data;

#[cache_data(show_time = "yes")]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
