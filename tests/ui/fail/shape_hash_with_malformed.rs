// `#[hash_with]` without a path, with two, and twice on one parameter: each is reported.
use fncache::cache_data;

struct Session {
    id: u64,
}

fn id(s: &Session) -> u64 {
    s.id
}

#[cache_data]
fn no_path(#[hash_with] session: &Session) -> u64 {
    session.id
}

#[cache_data]
fn two_paths(#[hash_with(id, id)] session: &Session) -> u64 {
    session.id
}

#[cache_data]
fn twice(#[hash_with(id)] #[hash_with(id)] session: &Session) -> u64 {
    session.id
}

fn main() {
    let s = Session { id: 1 };
    no_path(&s);
    two_paths(&s);
    twice(&s);
}
