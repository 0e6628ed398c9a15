use fncache::cache_resource;

fn is_alive(x: u32) -> bool {
    x > 0
}

#[cache_resource(validate = is_alive)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
