// `#[cache(allow_output_mutation = true)]` decides on the `T` of `Result<T, E>`: here a
// `Mutex`, a resource; the function returns `Result<Arc<T>, E>`.
#![deny(deprecated)]

use std::sync::Mutex;

use fncache::cache;

#[cache(allow_output_mutation = true)]
fn counter(name: String) -> Result<Mutex<u64>, String> {
    if name.is_empty() {
        return Err("no name".into());
    }
    Ok(Mutex::new(0))
}

fn main() {
    assert!(counter(String::new()).is_err());
}
