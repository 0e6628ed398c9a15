// What the `&mut` and interior-mutability refusals leave alone: shared references to data,
// an interior-mutability reference left out of the key (`_pool`) or keyed by `#[hash_with]`,
// an owned `Mutex` (its contents are the key), and callables that take `&mut` themselves.
use fncache::cache_data;
use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

struct Pool {
    id: u64,
    opened: u32,
}

fn pool_id(pool: &Mutex<Pool>) -> u64 {
    pool.lock().unwrap().id
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cache_data]
fn query(sql: &str, args: &[u32], user: &String, _pool: &Mutex<Pool>) -> usize {
    RUNS.fetch_add(1, SeqCst);
    _pool.lock().unwrap().opened += 1;
    sql.len() + args.len() + user.len()
}

#[cache_data]
fn scratch(n: u32, _: &RefCell<Vec<u32>>, _hits: &AtomicUsize) -> u32 {
    n * 2
}

#[cache_data]
fn pooled(#[hash_with(pool_id)] pool: &Mutex<Pool>) -> u64 {
    pool.lock().unwrap().id
}

#[cache_data]
fn owned(state: Mutex<Vec<u8>>, twice: &&str) -> usize {
    state.into_inner().unwrap().len() + twice.len()
}

#[cache_data]
fn with_callback(n: u8, _push: impl Fn(&mut Vec<u8>), _check: fn(&RefCell<u8>) -> bool) -> u8 {
    n
}

fn main() {
    let pool = Mutex::new(Pool { id: 7, opened: 0 });
    let user = String::from("ada");
    assert_eq!(query("select", &[1, 2], &user, &pool), 11);
    assert_eq!(query("select", &[1, 2], &user, &pool), 11);
    assert_eq!(RUNS.load(SeqCst), 1, "the second call is a hit");
    assert_eq!(pool.lock().unwrap().opened, 1, "and a hit skips the body's changes");
    assert_eq!(scratch(2, &RefCell::new(Vec::new()), &AtomicUsize::new(0)), 4);
    assert_eq!(pooled(&pool), 7);
    assert_eq!(owned(Mutex::new(vec![1, 2]), &"ab"), 4);
    assert_eq!(with_callback(3, |v| v.push(1), |c| *c.borrow() == 0), 3);
}
