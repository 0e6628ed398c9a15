//! `#[hash_with(path)]` on a parameter: the key holds `path(&param)` instead of the parameter,
//! so a function can take a value that is not `Serialize` (a database session) and still miss
//! when it differs and hit when it is the same.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use fncache::{cache_data, cache_of, cache_resource};
use serde::Serialize;

/// A database session: not `Serialize` (it holds a lock), but it has an id.
struct Session {
    id: u64,
    user: String,
    queries: Mutex<Vec<String>>,
}

impl Session {
    fn new(id: u64, user: &str) -> Self {
        Session {
            id,
            user: user.to_owned(),
            queries: Mutex::new(Vec::new()),
        }
    }

    fn id(&self) -> u64 {
        self.id
    }

    fn queries(&self) -> usize {
        self.queries.lock().unwrap().len()
    }
}

static COUNT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn row_count(#[hash_with(Session::id)] session: &Session, table: &str) -> u64 {
    COUNT_CALLS.fetch_add(1, SeqCst);
    session
        .queries
        .lock()
        .unwrap()
        .push(format!("count {table}"));
    session.id * 1000 + table.len() as u64
}

#[test]
fn a_session_hits_when_its_id_is_equal_and_misses_when_it_differs() {
    let calls = || COUNT_CALLS.load(SeqCst);
    let first = Session::new(1, "ada");
    let same_id = Session::new(1, "someone else");
    let other_id = Session::new(2, "ada");

    assert_eq!(row_count(&first, "users"), 1005);
    assert_eq!(row_count(&same_id, "users"), 1005, "an equal id is a hit");
    assert_eq!(calls(), 1);
    assert_eq!((first.queries(), same_id.queries()), (1, 0));

    assert_eq!(row_count(&other_id, "users"), 2005, "another id is a miss");
    assert_eq!(calls(), 2);
    assert_eq!(
        row_count(&first, "orders"),
        1006,
        "the other parameters still count"
    );
    assert_eq!(calls(), 3);

    row_count::clear_entry(&same_id, "users"); // the companion takes the session itself
    assert_eq!(row_count(&other_id, "users"), 2005);
    assert_eq!(calls(), 3);
    assert_eq!(row_count(&first, "users"), 1005);
    assert_eq!(calls(), 4);
}

/// Any `Serialize` value will do: here a tuple from a free function.
fn session_key(session: &Session) -> (u64, &str) {
    (session.id, &session.user)
}

static OWNED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn greeting(#[hash_with(session_key)] session: Session) -> String {
    OWNED_CALLS.fetch_add(1, SeqCst);
    format!("hello {} ({})", session.user, session.id)
}

#[test]
fn a_free_function_path_and_a_parameter_taken_by_value() {
    assert_eq!(greeting(Session::new(1, "ada")), "hello ada (1)");
    assert_eq!(greeting(Session::new(1, "ada")), "hello ada (1)");
    assert_eq!(greeting(Session::new(1, "bob")), "hello bob (1)");
    assert_eq!(greeting(Session::new(2, "ada")), "hello ada (2)");
    assert_eq!(OWNED_CALLS.load(SeqCst), 3);
}

// The expansion calls the closure where it is written, `(|s| ..)(&session)`, in the function
// and in its companion's `clear_entry`, which `clippy::redundant_closure_call` reports in the
// user's code; an `#[allow]` on the function does not reach the companion, hence the module.
#[allow(clippy::redundant_closure_call)]
mod by_closure {
    use super::*;

    pub static CLOSURE_CALLS: AtomicUsize = AtomicUsize::new(0);

    #[cache_data]
    pub fn by_user(#[hash_with(|s: &Session| s.user.clone())] session: &Session) -> u64 {
        CLOSURE_CALLS.fetch_add(1, SeqCst);
        session.id
    }
}

#[test]
fn a_closure_works_as_the_path() {
    use by_closure::{CLOSURE_CALLS, by_user};
    assert_eq!(by_user(&Session::new(1, "ada")), 1);
    assert_eq!(
        by_user(&Session::new(2, "ada")),
        1,
        "only the user is in the key"
    );
    assert_eq!(by_user(&Session::new(2, "bob")), 2);
    assert_eq!(CLOSURE_CALLS.load(SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// With a resource, an `async fn` and a method.

struct Prepared {
    sql: String,
}

static PREPARE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cache_resource]
async fn prepare(#[hash_with(Session::id)] session: &Session, sql: &str) -> Prepared {
    PREPARE_CALLS.fetch_add(1, SeqCst);
    Prepared {
        sql: format!("{sql} /* session {} */", session.id),
    }
}

#[test]
fn hash_with_on_an_async_resource() {
    let a = Session::new(7, "ada");
    let b = Session::new(7, "bob");
    let c = Session::new(8, "ada");
    futures_executor::block_on(async {
        let first = prepare(&a, "select 1").await;
        assert!(Arc::ptr_eq(&first, &prepare(&b, "select 1").await));
        assert!(!Arc::ptr_eq(&first, &prepare(&c, "select 1").await));
        assert_eq!(first.sql, "select 1 /* session 7 */");
    });
    assert_eq!(PREPARE_CALLS.load(SeqCst), 2);
}

#[derive(Serialize)]
struct Repo {
    name: String,
}

static REPO_CALLS: AtomicUsize = AtomicUsize::new(0);

impl Repo {
    #[cache_data]
    fn owner(&self, #[hash_with(Session::id)] session: &Session) -> String {
        REPO_CALLS.fetch_add(1, SeqCst);
        format!("{} of {}", session.user, self.name)
    }
}

#[test]
fn hash_with_on_a_method_parameter() {
    let repo = Repo { name: "r".into() };
    let ada = Session::new(1, "ada");
    assert_eq!(repo.owner(&ada), "ada of r");
    assert_eq!(
        repo.owner(&Session::new(1, "bob")),
        "ada of r",
        "same id: a hit"
    );
    assert_eq!(REPO_CALLS.load(SeqCst), 1);
    // A method's handle takes the `hash_with` value: `Session::id(&session)`.
    cache_of(Repo::owner).clear_entry(&repo, (Session::id(&ada),));
    assert_eq!(repo.owner(&Session::new(1, "bob")), "bob of r");
    assert_eq!(REPO_CALLS.load(SeqCst), 2);
}
