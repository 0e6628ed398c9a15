use fncache::cache_resource;

#[cache_resource(validate = true)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
