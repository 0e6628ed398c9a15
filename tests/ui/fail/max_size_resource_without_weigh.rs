use fncache::cache_resource;

#[cache_resource(max_size = "1GB")]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
