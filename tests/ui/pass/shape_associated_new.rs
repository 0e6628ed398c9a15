// An associated `fn new(..) -> Self`, cleared through `cache_of` with `Self` as the type.
use fncache::{cache_data, cache_of};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Config {
    name: String,
}

impl Config {
    #[cache_data]
    pub fn new(name: &str) -> Self {
        Config { name: name.to_uppercase() }
    }

    #[cache_data]
    fn default_named() -> Self {
        Self::new("default")
    }
}

fn main() {
    assert_eq!(Config::new("a"), Config { name: "A".into() });
    assert_eq!(Config::default_named().name, "DEFAULT");
    cache_of(Config::new).clear_entry_of::<Config, _>(("a",));
    cache_of(Config::default_named).clear();
}
