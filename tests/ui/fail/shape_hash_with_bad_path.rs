// `#[hash_with(path)]` naming nothing: the error points at the path in the attribute.
use fncache::cache_data;

struct Session {
    id: u64,
}

impl Session {
    fn id(&self) -> u64 {
        self.id
    }
}

#[cache_data]
fn count(#[hash_with(Session::identifier)] session: &Session) -> u64 {
    session.id()
}

fn main() {
    count(&Session { id: 1 });
}
