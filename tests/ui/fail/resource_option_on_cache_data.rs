use fncache::cache_data;

fn positive(x: &u32) -> bool {
    *x > 0
}

#[cache_data(validate = positive)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
