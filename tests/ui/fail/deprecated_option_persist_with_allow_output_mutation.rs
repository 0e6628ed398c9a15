// `#[cache(allow_output_mutation = true)]` is a resource cache, which cannot persist.
use fncache::cache;

#[cache(persist = "disk", allow_output_mutation = true)]
fn connection(url: String) -> Vec<String> {
    vec![url]
}

fn main() {
    let _ = connection;
}
