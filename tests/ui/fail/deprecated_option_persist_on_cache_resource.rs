// Resources are not serializable, so `#[cache_resource]` does not persist.
use fncache::cache_resource;

#[cache_resource(persist = "disk")]
fn client(url: String) -> String {
    url
}

fn main() {
    let _ = client("x".into());
}
