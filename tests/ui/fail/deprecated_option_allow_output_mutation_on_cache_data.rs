// `allow_output_mutation` was a `#[cache]` option: `#[cache_data]` says it is not needed.
use fncache::cache_data;

#[cache_data(allow_output_mutation = true)]
fn rows(n: u32) -> Vec<u32> {
    (0..n).collect()
}

fn main() {
    let _ = rows(1);
}
