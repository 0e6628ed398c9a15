// Two mistakes in one signature: both are reported, each on its own token.
use fncache::cache_data;

#[cache_data]
const extern "C" fn both(x: u32) -> u32 {
    x
}

fn main() {
    both(1);
}
