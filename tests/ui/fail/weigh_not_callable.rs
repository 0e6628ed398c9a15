use fncache::cache_resource;

#[cache_resource(max_size = "1MB", weigh = 3)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
