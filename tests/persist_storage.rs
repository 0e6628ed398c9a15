//! Another `Storage` installed at start-up in place of the disk (as a Redis backend will be):
//! what fncache asks of it, and when.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use fncache::__private::{DataCache, Options};
use fncache::cache_data;
use fncache::persist::{self, Entry, Function, Retention, Storage, StorageInUse, Versions};

/// What the store was asked, in order.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Get(String),
    Put(String, Retention),
    Remove(String),
    ClearFunction(String, Versions),
    ClearProgram(String),
}

/// Records by function path and key digest.
type Records = HashMap<(String, [u8; 32]), Arc<[u8]>>;

#[derive(Default)]
struct Recording {
    records: Mutex<Records>,
    calls: Mutex<Vec<Call>>,
}

fn name(f: &Function<'_>) -> String {
    f.path.rsplit("::").next().unwrap().to_owned()
}

impl Recording {
    fn log(&self, call: Call) {
        lock(&self.calls).push(call);
    }
}

impl Storage for &'static Recording {
    fn get(&self, entry: &Entry<'_>) -> io::Result<Option<Arc<[u8]>>> {
        self.log(Call::Get(name(&entry.function)));
        let key = (entry.function.path.to_owned(), entry.key);
        Ok(lock(&self.records).get(&key).cloned())
    }

    fn put(&self, entry: &Entry<'_>, record: &[u8], retention: &Retention) -> io::Result<()> {
        self.log(Call::Put(name(&entry.function), *retention));
        let key = (entry.function.path.to_owned(), entry.key);
        lock(&self.records).insert(key, record.into());
        Ok(())
    }

    fn remove(&self, entry: &Entry<'_>) -> io::Result<()> {
        self.log(Call::Remove(name(&entry.function)));
        lock(&self.records).remove(&(entry.function.path.to_owned(), entry.key));
        Ok(())
    }

    fn clear_function(&self, function: &Function<'_>, versions: Versions) -> io::Result<()> {
        self.log(Call::ClearFunction(name(function), versions));
        if versions == Versions::All {
            lock(&self.records).retain(|(path, _), _| path != function.path);
        }
        Ok(())
    }

    fn clear_program(&self, program: &str) -> io::Result<()> {
        self.log(Call::ClearProgram(program.to_owned()));
        lock(&self.records).retain(|(path, _), _| !path.starts_with(program));
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The store, installed before any persisted call; and the lock that keeps this binary's
/// tests (which read its log) one at a time.
fn recording() -> (&'static Recording, MutexGuard<'static, ()>) {
    static STORE: OnceLock<&'static Recording> = OnceLock::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = lock(&SERIAL);
    let store = *STORE.get_or_init(|| {
        let store: &'static Recording = Box::leak(Box::default());
        persist::set_storage(store).expect("the first persisted call of this binary");
        store
    });
    lock(&store.calls).clear();
    (store, guard)
}

fn calls(store: &Recording) -> Vec<Call> {
    std::mem::take(&mut *lock(&store.calls))
}

#[cache_data(persist = "disk", ttl = "1h", max_entries = 10, show_spinner = false)]
fn loaded(x: u32) -> String {
    format!("loaded {x}")
}

#[test]
fn misses_read_then_write_and_memory_hits_ask_nothing() {
    let (store, _serial) = recording();
    assert_eq!(loaded(1), "loaded 1");
    let first = calls(store);
    // First use: older versions of the function go; then a miss reads, computes and writes.
    assert_eq!(
        first[0],
        Call::ClearFunction("loaded".into(), Versions::AllButCurrent)
    );
    assert_eq!(first[1], Call::Get("loaded".into()));
    let Call::Put(function, retention) = &first[2] else {
        panic!("{first:?}")
    };
    assert_eq!(function, "loaded");
    assert_eq!(retention.ttl, Some(Duration::from_secs(3600)));
    assert_eq!(retention.max_entries, Some(10));
    assert_eq!(first.len(), 3);
    assert_eq!(loaded(1), "loaded 1");
    assert_eq!(calls(store), [], "a memory hit asked the store");
    loaded::clear_entry(1);
    assert_eq!(calls(store), [Call::Remove("loaded".into())]);
    loaded::clear();
    assert_eq!(
        calls(store),
        [Call::ClearFunction("loaded".into(), Versions::All)]
    );
}

#[cache_data(persist = true, show_spinner = false)]
fn source(x: u32) -> Vec<u32> {
    vec![x; 3]
}

fn key(x: u32) -> fncache::__private::Key {
    fncache::__private::KeyWriter::new()
        .arg_primitive(&x)
        .finish()
}

/// A new process (a fresh cache of the same function) finds the record in the store.
#[test]
fn a_record_in_the_store_is_a_hit() {
    let (store, _serial) = recording();
    assert_eq!(source(5), [5, 5, 5]);
    calls(store);
    let id = *source::__fncache().id();
    let restarted: &'static DataCache = Box::leak(Box::new(DataCache::new(id)));
    let value: Vec<u32> = restarted.get(
        || Options::new().persist(true),
        fncache_runtime::codec::Exact::by_serialization(),
        key(5),
        || panic!("computed, but the record was in the store"),
    );
    assert_eq!(value, [5, 5, 5]);
    assert_eq!(
        calls(store),
        [
            Call::ClearFunction("source".into(), Versions::AllButCurrent),
            Call::Get("source".into())
        ]
    );
}

static COPIES: AtomicUsize = AtomicUsize::new(0);

#[cache_data(persist = true, show_spinner = false)]
fn copy(x: u32) -> Vec<u32> {
    COPIES.fetch_add(1, Ordering::SeqCst);
    vec![x; 3]
}

/// A store that hands back another function's record (a bug, a shared key space): refused.
#[test]
fn a_record_of_another_function_is_refused() {
    let (store, _serial) = recording();
    assert_eq!(source(4), [4, 4, 4]);
    let record = lock(&store.records)
        .iter()
        .find(|((path, _), _)| path.ends_with("::source"))
        .map(|(_, record)| record.clone())
        .unwrap();
    let copy_path = copy::__fncache().id().path.to_owned();
    lock(&store.records).insert((copy_path, key(4).digest()), record);
    assert_eq!(copy(4), [4, 4, 4]);
    assert_eq!(
        COPIES.load(Ordering::SeqCst),
        1,
        "the record of `source` was used"
    );
    assert!(calls(store).contains(&Call::Remove("copy".into())));
}

#[test]
fn the_global_clear_clears_the_program() {
    let (store, _serial) = recording();
    source(1);
    calls(store);
    fncache::cache_data::clear();
    let calls = calls(store);
    assert!(
        calls.contains(&Call::ClearProgram("persist_storage".into())),
        "{calls:?}"
    );
    assert!(lock(&store.records).is_empty());
}

#[test]
fn the_store_cannot_change_once_chosen() {
    let _ = recording();
    assert_eq!(fncache::set_cache_dir("/tmp/elsewhere"), Err(StorageInUse));
}
