// A method's receiver is part of the key: a `self` that is not `Serialize` is reported on it.
use fncache::cache_data;

struct Service {
    name: String,
}

impl Service {
    #[cache_data]
    fn greet(&self, who: u32) -> String {
        format!("{} greets {who}", self.name)
    }
}

fn main() {
    Service { name: "s".into() }.greet(1);
}
