//! `#[cache_data(persist = "disk")]` across real processes: a restart hits the disk without
//! running the body, ttl runs on across restarts, `max_entries` bounds the disk, clears remove
//! files (of older code and of functions not used in the process too), a process killed while
//! writing leaves no torn entry, and an unwritable or read-only directory never fails a call.
//!
//! Each test runs this test binary again as child processes (see `persist_common`), each with
//! a fresh cache directory in `FNCACHE_DIR`, so that nothing process-wide leaks between tests.
//! Unix only: they check file modes, run a child as another user and kill one with SIGKILL.
#![cfg(unix)]

mod persist_common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fncache::cache_data;
use persist_common::*;

static RUNS: AtomicU64 = AtomicU64::new(0);

fn ran() {
    RUNS.fetch_add(1, Ordering::Relaxed);
}

fn runs() -> u64 {
    RUNS.load(Ordering::Relaxed)
}

#[cache_data(persist = "disk", show_spinner = false)]
fn square(x: u64) -> u64 {
    ran();
    x * x
}

/// A `HashSet` iterates in another order in every process (a random hasher per set).
#[cache_data(persist = "disk", show_spinner = false)]
fn set_total(names: std::collections::HashSet<String>) -> usize {
    ran();
    names.len()
}

/// A field left out of some values: bincode cannot carry it, CBOR can.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    coupon: Option<String>,
    items: Vec<u32>,
}

#[cache_data(persist = "disk", show_spinner = false)]
fn order(n: u32) -> Order {
    ran();
    Order {
        coupon: (n % 2 == 1).then(|| format!("c{n}")),
        items: (0..n).collect(),
    }
}

/// A `Deserialize` that needs `deserialize_any`: stored in CBOR, tied to the build.
#[cache_data(persist = "disk", show_spinner = false)]
fn json(n: u32) -> serde_json::Value {
    ran();
    serde_json::json!({"n": n, "list": [null, false, "", {}], "half": 0.5})
}

#[cache_data(persist = "disk", show_spinner = false)]
fn other(x: u64) -> u64 {
    ran();
    x + 1
}

#[cache_data(persist = "disk", ttl = 60, show_spinner = false)]
fn with_ttl(x: u64) -> String {
    ran();
    format!("value {x}")
}

#[cache_data(persist = true, max_entries = 3, show_spinner = false)]
fn bounded(x: u64) -> u64 {
    ran();
    x * 10
}

/// A large value, every byte of which depends on `len`.
fn big_value(len: usize) -> String {
    let mut s = String::with_capacity(len);
    let pattern = format!("{len:x}-fncache-");
    while s.len() < len {
        s.push_str(&pattern);
    }
    s.truncate(len);
    s
}

#[cache_data(persist = "disk", show_spinner = false)]
fn big(len: usize) -> String {
    ran();
    big_value(len)
}

const BIG: usize = 64 << 20;

/// One cache for every `T`: each type has its own fingerprint.
#[cache_data(persist = "disk", show_spinner = false)]
fn doubled<T>(value: T) -> Vec<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone,
{
    ran();
    vec![value.clone(), value]
}

#[cache_data(persist = "disk", show_spinner = false)]
async fn async_square(x: u64) -> u64 {
    ran();
    x * x
}

/// Every role a child can play. Runs only when a parent test starts it.
#[test]
#[ignore = "a child process of the other tests in this file, which run it"]
fn child() {
    if let Some(secs) = env_u64("FNCACHE_TEST_ADVANCE") {
        fncache::clock::advance(Duration::from_secs(secs));
    }
    let keys = || -> Vec<u64> {
        std::env::var("FNCACHE_TEST_KEYS")
            .unwrap()
            .split(',')
            .map(|k| k.parse().unwrap())
            .collect()
    };
    let (_, warnings) = count_warnings(|| match role().as_str() {
        "square" => {
            for x in keys() {
                let before = runs();
                report(&format!("square{x}"), square(x));
                report(&format!("runs{x}"), runs() - before);
            }
        }
        "other" => report("other", other(1)),
        "orders" => {
            for n in 0..6 {
                report(&format!("order{n}"), format!("{:?}", order(n)));
            }
            report("json", json(7).to_string());
        }
        "hash_set" => {
            let names = (0..64).map(|i| format!("name{i}")).collect();
            report("set_total", set_total(names));
        }
        "shapes" => {
            report("bytes", format!("{:?}", doubled(3u8)));
            report("strings", format!("{:?}", doubled(String::from("a"))));
            report("async", futures_executor::block_on(async_square(4)));
        }
        "ttl" => {
            report("value", with_ttl(1));
            report("runs", runs());
            if let Some(secs) = env_u64("FNCACHE_TEST_ADVANCE_AFTER") {
                fncache::clock::advance(Duration::from_secs(secs));
                report("value_after", with_ttl(1));
                report("runs_after", runs());
            }
        }
        "bounded" => {
            for x in keys() {
                let before = runs();
                assert_eq!(bounded(x), x * 10);
                report(&format!("runs{x}"), runs() - before);
            }
        }
        "big" => {
            let value = big(BIG);
            report("correct", value == big_value(BIG));
            report("runs", runs());
        }
        "rewrite_forever" => rewrite_forever(),
        "clear_square" => square::clear(),
        "clear_square_entry" => square::clear_entry(keys()[0]),
        "clear_all" => fncache::cache_data::clear(),
        other => panic!("unknown role {other}"),
    });
    report("warnings", warnings);
    report("total", runs());
}

#[test]
fn a_second_process_hits_the_disk_without_running_the_body() {
    let dir = TempDir::new("restart");
    let first = run(keys(child_command(dir.path(), "square"), &[7, 8]));
    assert_eq!((first.u64("square7"), first.u64("runs7")), (49, 1));
    assert_eq!((first.u64("square8"), first.u64("runs8")), (64, 1));
    let second = run(keys(child_command(dir.path(), "square"), &[7, 8, 9]));
    assert_eq!((second.u64("square7"), second.u64("runs7")), (49, 0));
    assert_eq!((second.u64("square8"), second.u64("runs8")), (64, 0));
    assert_eq!((second.u64("square9"), second.u64("runs9")), (81, 1));
    assert_eq!(second.u64("warnings"), 0);
}

#[test]
fn self_describing_values_come_back_exactly_from_disk() {
    let dir = TempDir::new("orders");
    let first = run(child_command(dir.path(), "orders"));
    assert_eq!(first.u64("total"), 7);
    let second = run(child_command(dir.path(), "orders"));
    assert_eq!(
        second.u64("total"),
        0,
        "every order and the JSON value are disk hits"
    );
    assert_eq!(
        second.get("json"),
        serde_json::json!({"n": 7, "list": [null, false, "", {}], "half": 0.5}).to_string()
    );
    for n in 0..6u32 {
        let expected = Order {
            coupon: (n % 2 == 1).then(|| format!("c{n}")),
            items: (0..n).collect(),
        };
        assert_eq!(second.get(&format!("order{n}")), format!("{expected:?}"));
    }
    assert_eq!(second.u64("warnings"), 0);
}

#[test]
fn equal_hash_sets_hit_one_entry_across_processes() {
    let dir = TempDir::new("hash_set");
    let first = run(child_command(dir.path(), "hash_set"));
    assert_eq!((first.u64("set_total"), first.u64("total")), (64, 1));
    for _ in 0..3 {
        let next = run(child_command(dir.path(), "hash_set"));
        assert_eq!((next.u64("set_total"), next.u64("total")), (64, 0));
    }
    assert_eq!(
        entries(dir.path()).len(),
        1,
        "one file, not one per process"
    );
}

#[test]
fn generic_and_async_functions_persist_too() {
    let dir = TempDir::new("shapes");
    let first = run(child_command(dir.path(), "shapes"));
    assert_eq!(first.u64("total"), 3);
    let second = run(child_command(dir.path(), "shapes"));
    assert_eq!(second.get("bytes"), "[3, 3]");
    assert_eq!(second.get("strings"), r#"["a", "a"]"#);
    assert_eq!(second.u64("async"), 16);
    assert_eq!(second.u64("total"), 0);
    assert_eq!(second.u64("warnings"), 0);
}

#[test]
fn files_are_owner_only_and_named_by_digests() {
    let dir = TempDir::new("names");
    run(keys(child_command(dir.path(), "square"), &[987_654_321]));
    let entries = entries(dir.path());
    assert_eq!(entries.len(), 1, "{entries:?}");
    let file = &entries[0];
    let name = file.file_name().unwrap().to_str().unwrap();
    assert_eq!(name.len(), 64, "{name}");
    assert!(name.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    let relative = file.strip_prefix(dir.path()).unwrap().to_str().unwrap();
    assert!(!relative.contains("987654321"), "{relative}");
    assert!(relative.starts_with("persist/square-"), "{relative}");
    assert_eq!(fs::metadata(file).unwrap().mode() & 0o777, 0o600);
    let mut parent = file.parent().unwrap();
    while parent != dir.path() {
        let mode = fs::metadata(parent).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", parent.display());
        parent = parent.parent().unwrap();
    }
}

#[test]
fn ttl_runs_on_across_restarts() {
    let dir = TempDir::new("ttl");
    let ttl = |advance: u64, after: Option<u64>| {
        let mut command = child_command(dir.path(), "ttl");
        command.env("FNCACHE_TEST_ADVANCE", advance.to_string());
        if let Some(after) = after {
            command.env("FNCACHE_TEST_ADVANCE_AFTER", after.to_string());
        }
        run(command)
    };
    let stored = ttl(0, None);
    assert_eq!((stored.get("value"), stored.u64("runs")), ("value 1", 1));
    // 30 s later, in a new process: the disk entry is still good. 31 s after that, in the same
    // process, the entry it loaded into memory is 61 s old, so it expired there too (and the
    // value computed again is stored at 61 s).
    let later = ttl(30, Some(31));
    assert_eq!((later.get("value"), later.u64("runs")), ("value 1", 0));
    assert_eq!(
        (later.get("value_after"), later.u64("runs_after")),
        ("value 1", 1)
    );
    // 61 s after that, a new process does not get it.
    let expired = ttl(122, None);
    assert_eq!((expired.get("value"), expired.u64("runs")), ("value 1", 1));
    assert_eq!(expired.u64("warnings"), 0);
    // ... and replaced it with a fresh entry, stored at (its) 122 s.
    let fresh = ttl(122, None);
    assert_eq!((fresh.get("value"), fresh.u64("runs")), ("value 1", 0));
    assert_eq!(entries(dir.path()).len(), 1);
}

#[test]
fn max_entries_bounds_the_disk_least_recently_used_first() {
    let dir = TempDir::new("lru");
    let bounded = |keys_: &[u64]| run(keys(child_command(dir.path(), "bounded"), keys_));
    bounded(&[1, 2, 3]);
    assert_eq!(entries(dir.path()).len(), 3);
    // A new process uses 1 (a disk hit, which counts as a use), then stores 4: 2 goes.
    let second = bounded(&[1, 4]);
    assert_eq!((second.u64("runs1"), second.u64("runs4")), (0, 1));
    assert_eq!(entries(dir.path()).len(), 3);
    let third = bounded(&[1, 3, 4, 2]);
    assert_eq!(
        [1, 3, 4, 2].map(|k| third.u64(&format!("runs{k}"))),
        [0, 0, 0, 1]
    );
    assert_eq!(entries(dir.path()).len(), 3);
}

#[test]
fn clearing_removes_files_even_of_functions_not_called_in_the_process() {
    let dir = TempDir::new("clear");
    let square = |keys_: &[u64]| run(keys(child_command(dir.path(), "square"), keys_));
    square(&[1, 2]);
    // `f::clear_entry` in a process that never called `f`.
    run(keys(child_command(dir.path(), "clear_square_entry"), &[1]));
    let after = square(&[1, 2]);
    assert_eq!((after.u64("runs1"), after.u64("runs2")), (1, 0));
    // `f::clear` likewise, with an entry of an older version of `f`'s code lying next to it.
    let old_version = plant_old_version(dir.path());
    run(child_command(dir.path(), "clear_square"));
    assert!(!old_version.exists());
    assert_eq!(entries(dir.path()).len(), 0);
    // `cache_data::clear()` removes every function of the program, called or not, and
    // nothing of another program's.
    square(&[3]);
    run(child_command(dir.path(), "other"));
    assert_eq!(entries(dir.path()).len(), 2);
    let another_program = dir.path().join("another_program/f-0123456789abcdef/c0de");
    fs::create_dir_all(&another_program).unwrap();
    fs::write(another_program.join("0".repeat(64)), b"theirs").unwrap();
    run(child_command(dir.path(), "clear_all"));
    assert_eq!(entries(dir.path()), [another_program.join("0".repeat(64))]);
    assert!(!dir.path().join("persist").exists());
}

#[test]
fn entries_go_to_the_users_cache_directory_by_default() {
    let dir = TempDir::new("xdg");
    let mut command = keys(child_command(dir.path(), "square"), &[6]);
    command
        .env_remove("FNCACHE_DIR")
        .env("XDG_CACHE_HOME", dir.path().join("xdg"));
    assert_eq!(run(command).u64("runs6"), 1);
    assert_eq!(entries(&dir.path().join("xdg/fncache/persist")).len(), 1);
    let mut command = keys(child_command(dir.path(), "square"), &[6]);
    command
        .env_remove("FNCACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", dir.path().join("home"));
    assert_eq!(run(command).u64("runs6"), 1);
    assert_eq!(
        entries(&dir.path().join("home/.cache/fncache/persist")).len(),
        1
    );
}

#[test]
fn entries_of_older_code_are_removed_when_the_function_is_first_used() {
    let dir = TempDir::new("versions");
    run(keys(child_command(dir.path(), "square"), &[5]));
    let old_version = plant_old_version(dir.path());
    let again = run(keys(child_command(dir.path(), "square"), &[5]));
    assert_eq!(again.u64("runs5"), 0);
    assert!(!old_version.exists(), "{}", old_version.display());
    assert_eq!(entries(dir.path()).len(), 1);
}

/// Writes a file where an older version of `square`'s code would have kept an entry.
fn plant_old_version(dir: &Path) -> PathBuf {
    let current = entries(dir)
        .into_iter()
        .find(|p| p.to_str().unwrap().contains("/square-"))
        .expect("an entry of `square`");
    let version_dir = current.parent().unwrap();
    let old = version_dir.parent().unwrap().join("0ld0c0de");
    fs::create_dir_all(&old).unwrap();
    fs::copy(&current, old.join(current.file_name().unwrap())).unwrap();
    old
}

#[test]
fn an_unwritable_path_still_returns_correct_values_from_memory() {
    let dir = TempDir::new("unwritable");
    let file = dir.path().join("a-file");
    fs::write(&file, b"not a directory").unwrap();
    // A cache directory inside a file: no one, not even root, can create it.
    let reported = run(keys(
        child_command(&file.join("cache"), "square"),
        &[3, 3, 4],
    ));
    assert_eq!(reported.u64("square3"), 9);
    assert_eq!(reported.u64("square4"), 16);
    // 3 ran once: the second call was a memory hit.
    assert_eq!(reported.u64("runs3"), 0);
    assert_eq!(reported.u64("runs4"), 1);
    assert_eq!(reported.u64("total"), 2);
    assert_eq!(reported.u64("warnings"), 1);
}

#[test]
fn a_read_only_directory_still_serves_hits_and_computes_misses() {
    let dir = TempDir::new("read-only");
    // Permissions do not stop root: as root, the children run as `nobody`, from a copy of
    // this binary that `nobody` can execute wherever the build directory is.
    let as_root = fs::metadata(dir.path()).unwrap().uid() == 0;
    let exe = if as_root {
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.path().join("persist-test");
        fs::copy(std::env::current_exe().unwrap(), &copy).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
        copy
    } else {
        std::env::current_exe().unwrap()
    };
    let cache = dir.path().join("cache");
    fs::create_dir(&cache).unwrap();
    if as_root {
        std::os::unix::fs::chown(&cache, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let child = |keys_: &[u64]| {
        let mut command = keys(child_command_of(&exe, &cache, "square"), keys_);
        if as_root {
            std::os::unix::process::CommandExt::uid(&mut command, NOBODY);
            std::os::unix::process::CommandExt::gid(&mut command, NOBODY);
        }
        run(command)
    };
    child(&[2]);
    let stored = entries(&cache);
    assert_eq!(stored.len(), 1);
    for d in fs::read_dir(&cache).unwrap().flatten() {
        read_only(&d.path());
    }
    read_only(&cache);
    let reported = child(&[2, 5, 5]);
    assert_eq!((reported.u64("square2"), reported.u64("runs2")), (4, 0));
    assert_eq!((reported.u64("square5"), reported.u64("runs5")), (25, 0));
    // 5 ran once (its second call hit memory), 2 not at all (a hit on the read-only disk).
    assert_eq!(reported.u64("total"), 1);
    assert_eq!(reported.u64("warnings"), 1);
    assert_eq!(entries(&cache), stored);
}

const NOBODY: u32 = 65534;

/// Takes away every write permission under `dir` (for its owner too).
fn read_only(dir: &Path) {
    if dir.is_dir() {
        for item in fs::read_dir(dir).unwrap().flatten() {
            read_only(&item.path());
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o500)).unwrap();
    }
}

#[test]
fn a_process_killed_while_writing_leaves_the_old_entry_or_none() {
    // Killed during the first write of an entry: the next process recomputes.
    let mut mid_write_kills = 0;
    for _ in 0..10 {
        let dir = TempDir::new("crash-first");
        let writer = spawn(child_command(dir.path(), "big"));
        mid_write_kills += usize::from(kill_while_writing(writer, dir.path()));
        let reader = run(child_command(dir.path(), "big"));
        assert_eq!(reader.get("correct"), "true");
        assert_eq!(reader.u64("warnings"), 0, "a torn file was visible");
        if mid_write_kills > 0 {
            break;
        }
    }
    assert!(mid_write_kills > 0, "never caught the writer mid-write");
    // Killed while rewriting an entry that is there: the next process reads the old one.
    let dir = TempDir::new("crash-rewrite");
    run(child_command(dir.path(), "big"));
    let mut mid_write_kills = 0;
    for _ in 0..10 {
        for temp in files(dir.path()).into_iter().filter(|p| is_temp(p)) {
            fs::remove_file(temp).unwrap();
        }
        let writer = spawn(child_command(dir.path(), "rewrite_forever"));
        mid_write_kills += usize::from(kill_while_writing(writer, dir.path()));
        let reader = run(child_command(dir.path(), "big"));
        assert_eq!(reader.get("correct"), "true");
        assert_eq!(reader.u64("runs"), 0, "the old entry was lost");
        assert_eq!(reader.u64("warnings"), 0, "a torn file was visible");
        if mid_write_kills > 0 {
            break;
        }
    }
    assert!(mid_write_kills > 0, "never caught the writer mid-write");
}

/// Kills `writer` (SIGKILL) as soon as a temporary file appears under `dir`; whether it was
/// still being written (shorter than a whole record) when the writer died.
fn kill_while_writing(mut writer: std::process::Child, dir: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    let temp = loop {
        if let Some(temp) = files(dir).into_iter().find(|p| is_temp(p)) {
            break Some(temp);
        }
        if Instant::now() > deadline || writer.try_wait().unwrap().is_some() {
            break None;
        }
        std::thread::sleep(Duration::from_micros(100));
    };
    writer.kill().unwrap();
    writer.wait().unwrap();
    temp.and_then(|t| fs::metadata(t).ok())
        .is_some_and(|m| (m.len() as usize) < BIG + fncache::persist::HEADER_LEN)
}

/// Writes `big`'s entry over itself, again and again, through the disk store, until killed.
fn rewrite_forever() {
    use fncache::__private::KeyWriter;
    use fncache::persist::{DiskStorage, Entry, Function, Retention, Storage};
    let disk = DiskStorage::new(std::env::var_os("FNCACHE_DIR").unwrap());
    let key = KeyWriter::new().arg_primitive(&BIG).finish();
    let entry = Entry::new(Function::of(big::__fncache().id()), key.digest());
    let record = disk.get(&entry).unwrap().expect("the entry to rewrite");
    loop {
        disk.put(&entry, &record, &Retention::default()).unwrap();
    }
}

#[test]
fn two_processes_writing_one_key_end_with_one_whole_entry() {
    let dir = TempDir::new("race");
    let writers = [
        spawn(child_command(dir.path(), "big")),
        spawn(child_command(dir.path(), "big")),
    ];
    for writer in writers {
        let reported = parse(&writer.wait_with_output().unwrap());
        assert_eq!(reported.get("correct"), "true");
    }
    assert_eq!(entries(dir.path()).len(), 1);
    assert!(files(dir.path()).iter().all(|p| !is_temp(p)));
    let reader = run(child_command(dir.path(), "big"));
    assert_eq!((reader.get("correct"), reader.u64("runs")), ("true", 0));
}

fn keys(mut command: std::process::Command, keys: &[u64]) -> std::process::Command {
    let list: Vec<String> = keys.iter().map(u64::to_string).collect();
    command.env("FNCACHE_TEST_KEYS", list.join(","));
    command
}
