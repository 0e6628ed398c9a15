// A mistake elsewhere in the attribute, on a function with a `#[hash_with]` parameter: the
// one real error is reported, and the function is still emitted without a cascade.
use fncache::cache_data;

struct Session {
    id: u64,
}

impl Session {
    fn id(&self) -> u64 {
        self.id
    }
}

#[cache_data(ttl = "soon")]
fn count(#[hash_with(Session::id)] session: &Session) -> u64 {
    session.id()
}

fn main() {
    count(&Session { id: 1 });
}
