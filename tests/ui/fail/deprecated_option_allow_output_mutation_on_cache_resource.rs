// `allow_output_mutation` was a `#[cache]` option: `#[cache_resource]` says it is not needed
// and how to mutate a shared value.
use fncache::cache_resource;

#[cache_resource(ttl = 60, allow_output_mutation = true)]
fn model(name: String) -> Vec<f32> {
    vec![name.len() as f32]
}

fn main() {
    let _ = model("m".into());
}
