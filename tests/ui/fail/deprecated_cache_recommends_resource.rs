// `#[cache(allow_output_mutation = true)]` on a function returning a known resource type
// recommends `#[cache_resource]`.
#![deny(deprecated)]

use fncache::cache;

#[cache(allow_output_mutation = true)]
fn log_file(path: String) -> std::fs::File {
    std::fs::File::create(path).unwrap()
}

fn main() {
    let _ = log_file;
}
