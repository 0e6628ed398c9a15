use fncache::cache_resource;

#[cache_resource(on_release = "close")]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    square(2);
}
