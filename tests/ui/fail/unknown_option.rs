use fncache::cache_data;

#[cache_data(tll = 60)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
