// Methods of a generic type, with generic parameters of their own.
use fncache::cache_data;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Serialize)]
struct Store<K> {
    prefix: K,
}

impl<K: Serialize + std::fmt::Display> Store<K> {
    #[cache_data]
    fn load<V: Default + Serialize + DeserializeOwned>(&self, key: &str) -> (String, V) {
        (format!("{}{key}", self.prefix), V::default())
    }
}

fn main() {
    let s = Store { prefix: 1u8 };
    let a: (String, u32) = s.load("k");
    let b: (String, String) = s.load("k");
    assert_eq!(a, ("1k".to_owned(), 0));
    assert_eq!(b, ("1k".to_owned(), String::new()));
    let t = Store { prefix: "p" };
    let c: (String, bool) = t.load("k");
    assert_eq!(c.0, "pk");
}
