// `hash_self` needs a `self`: an associated function has none.
use fncache::cache_data;

#[derive(serde::Serialize, serde::Deserialize)]
struct Settings {
    retries: u32,
}

impl Settings {
    #[cache_data(hash_self = false)]
    fn new(retries: u32) -> Self {
        Settings { retries }
    }
}

fn main() {
    Settings::new(1);
}
