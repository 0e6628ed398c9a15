use fncache::cache_resource;

#[cache_resource(ttl = 0.0)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
