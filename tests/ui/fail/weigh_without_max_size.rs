use fncache::cache_resource;

#[cache_resource(weigh = |x: &u32| *x as usize)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
