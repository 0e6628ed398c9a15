use fncache::cache_data;

#[cache_data(max_size = "1MB", weigh = |x: &u32| *x as usize)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
