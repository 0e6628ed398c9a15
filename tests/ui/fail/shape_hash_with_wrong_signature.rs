// `#[hash_with(path)]` whose function does not take `&T`: the error points at the attribute.
use fncache::cache_data;

struct Session {
    id: u64,
}

fn by_number(id: u64) -> u64 {
    id
}

#[cache_data]
fn count(#[hash_with(by_number)] session: &Session) -> u64 {
    session.id
}

fn main() {
    count(&Session { id: 1 });
}
