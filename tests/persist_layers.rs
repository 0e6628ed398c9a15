//! Memory as a layer over the disk, in one process: a memory hit never reads the disk, a clear
//! during a computation keeps its value off the disk too, and the disk is swept of expired
//! entries and of temporary files that crashed writers left behind.

mod common;
mod persist_common;

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::Gate;
use fncache::__private::{DataCache, FnId, KeyWriter, Options};
use fncache::cache_data;
use fncache::persist::{DiskStorage, Entry, Function};
use persist_common::{count_warnings, entries, files, is_temp};

fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("persist-layers");
        let _ = fs::remove_dir_all(&root);
        fncache::set_cache_dir(&root).expect("the first persisted call of this binary");
        root
    })
}

fn entry_path(id: &FnId, x: u64) -> PathBuf {
    let key = KeyWriter::new().arg_primitive(&x).finish();
    DiskStorage::new(root()).entry_path(&Entry::new(Function::of(id), key.digest()))
}

static CUBES: AtomicUsize = AtomicUsize::new(0);

#[cache_data(persist = "disk", show_spinner = false)]
fn cube(x: u64) -> u64 {
    CUBES.fetch_add(1, Ordering::SeqCst);
    x * x * x
}

#[test]
fn a_memory_hit_does_not_touch_the_disk() {
    root();
    assert_eq!(cube(3), 27);
    let path = entry_path(cube::__fncache().id(), 3);
    // Garbage on disk: a read of it would be a miss and a warning.
    fs::write(&path, b"garbage").unwrap();
    let (value, warnings) = count_warnings(|| cube(3));
    assert_eq!((value, warnings), (27, 0));
    assert_eq!(CUBES.load(Ordering::SeqCst), 1);
    assert_eq!(fs::read(&path).unwrap(), b"garbage");
}

static GATE: Gate = Gate::new();

#[cache_data(persist = "disk", show_spinner = false)]
fn slow(x: u64) -> u64 {
    GATE.pass();
    x + 100
}

#[test]
fn a_clear_during_a_computation_keeps_its_value_off_the_disk() {
    root();
    let computing = std::thread::spawn(|| slow(1));
    GATE.wait_entered(1);
    slow::clear();
    GATE.open();
    // The caller gets its value, but neither memory nor disk keeps it.
    assert_eq!(computing.join().unwrap(), 101);
    assert_eq!(slow::__fncache().len(), 0);
    assert!(!entry_path(slow::__fncache().id(), 1).exists());
}

#[cache_data(persist = "disk", show_spinner = false)]
fn halved(x: u64) -> u64 {
    x / 2
}

#[test]
fn clear_entry_removes_one_file() {
    root();
    halved(10);
    halved(20);
    let id = halved::__fncache().id();
    halved::clear_entry(10);
    assert!(!entry_path(id, 10).exists());
    assert!(entry_path(id, 20).exists());
    halved::clear();
    assert!(!entry_path(id, 20).exists());
}

/// Expired entries whose keys are never called again are swept from the disk, and so are the
/// temporary files of writers that died an hour ago or more; a recent one may still be written.
#[test]
fn sweeps_remove_expired_entries_and_stale_temporary_files() {
    root();
    let id = FnId::new("persist_layers::swept", "c0de");
    let options = || Options::new().persist(true).ttl(Duration::from_secs(60));
    let store = |cache: &'static DataCache, x: u64| {
        let ran = Cell::new(false);
        cache.get(
            options,
            fncache_runtime::codec::Exact::by_serialization(),
            KeyWriter::new().arg_primitive(&x).finish(),
            || {
                ran.set(true);
                x
            },
        );
        ran.get()
    };
    let cache: &'static DataCache = Box::leak(Box::new(DataCache::new(id)));
    for x in 1..=3 {
        assert!(store(cache, x));
    }
    let dir = entry_path(&id, 1).parent().unwrap().to_owned();
    let stale = dir.join(".deadbeef.1.0.tmp");
    let recent = dir.join(".deadbeef.2.0.tmp");
    for temp in [&stale, &recent] {
        fs::write(temp, b"half a record").unwrap();
    }
    let hour_ago = SystemTime::now() - Duration::from_secs(3601);
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    fncache::clock::advance(Duration::from_secs(61));
    // A new process, 61 s later: the first write sweeps the directory.
    let later: &'static DataCache = Box::leak(Box::new(DataCache::new(id)));
    assert!(store(later, 4));
    assert_eq!(entries(&dir), [entry_path(&id, 4)]);
    let temps: Vec<PathBuf> = files(&dir).into_iter().filter(|p| is_temp(p)).collect();
    assert_eq!(temps, [recent]);
}
