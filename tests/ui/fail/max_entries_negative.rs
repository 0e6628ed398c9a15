use fncache::cache_resource;

#[cache_resource(max_entries = -3)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
