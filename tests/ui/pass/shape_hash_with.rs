// `#[hash_with(path)]` on a non-`Serialize` parameter, free function and method, sync and async.
use fncache::{cache_data, cache_of};

struct Session {
    id: u64,
}

impl Session {
    fn id(&self) -> u64 {
        self.id
    }
}

#[cache_data]
fn count(#[hash_with(Session::id)] session: &Session, table: &str) -> u64 {
    session.id + table.len() as u64
}

#[cache_data]
async fn count_async(#[hash_with(Session::id)] session: Session) -> u64 {
    session.id
}

#[derive(serde::Serialize)]
struct Repo;

impl Repo {
    #[cache_data]
    fn owner(&self, #[hash_with(Session::id)] session: &Session) -> u64 {
        session.id
    }
}

fn main() {
    assert_eq!(count(&Session { id: 1 }, "ab"), 3);
    assert_eq!(futures_executor::block_on(count_async(Session { id: 2 })), 2);
    assert_eq!(Repo.owner(&Session { id: 4 }), 4);
    count::clear_entry(&Session { id: 1 }, "ab");
    cache_of(Repo::owner).clear_entry(&Repo, (4u64,));
}
