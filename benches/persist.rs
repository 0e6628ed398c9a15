//! A cold-process disk hit for a 1 MiB value, against reading and decoding the same bytes by
//! hand: `cargo bench --bench persist`.
//!
//! Every measured call runs in a fresh process (this binary again, as a child), which times
//! its own first call and reports it, so process start-up is not counted but everything a
//! restarted program pays is: the cache's first use (options, old-version cleanup, tracing
//! the return type's fingerprint), reading the file, checking its header and checksum,
//! decoding, and filling memory. The file is in the OS page cache, as it is after a recent run.
//!
//! - `fncache/<type>`: the first call of a `#[cache_data(persist = "disk")]` function whose
//!   entry is on disk.
//! - `by_hand/<type>`: `std::fs::read` of a file holding the same encoded value, and decoding
//!   it with the same decoder the cache uses (`fncache_runtime::codec::decode`, fncache's
//!   reader of bincode's encoding).
//!
//! Three value types of 1 MiB, since decoding speed differs a lot between them: a `String`
//! (decoding is a copy and a UTF-8 check), a `Vec<f64>` (131 072 fixed-size numbers) and a
//! `Vec<u8>` (which serde decodes byte by byte).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use fncache::cache_data;
use serde::Serialize;
use serde::de::DeserializeOwned;

const MIB: usize = 1 << 20;

/// Set by the cached functions' bodies: a measured "hit" that computed is a broken benchmark.
static COMPUTED: AtomicBool = AtomicBool::new(false);

fn string_value() -> String {
    (0..MIB)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

fn floats_value() -> Vec<f64> {
    (0..MIB / 8).map(|i| i as f64 * 0.5).collect()
}

fn bytes_value() -> Vec<u8> {
    (0..MIB).map(|i| (i * 7) as u8).collect()
}

#[cache_data(persist = "disk", show_spinner = false)]
fn string_1mib() -> String {
    COMPUTED.store(true, Ordering::Relaxed);
    string_value()
}

#[cache_data(persist = "disk", show_spinner = false)]
fn floats_1mib() -> Vec<f64> {
    COMPUTED.store(true, Ordering::Relaxed);
    floats_value()
}

#[cache_data(persist = "disk", show_spinner = false)]
fn bytes_1mib() -> Vec<u8> {
    COMPUTED.store(true, Ordering::Relaxed);
    bytes_value()
}

const TYPES: [&str; 3] = ["string", "floats", "bytes"];

fn main() {
    match std::env::var("FNCACHE_BENCH_CHILD") {
        Ok(role) => child(&role),
        Err(_) => parent(),
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-persist")
}

fn parent() {
    let dir = dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_child("prepare");
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500))
        .configure_from_args();
    let mut group = criterion.benchmark_group("cold_process_disk_hit_1mib");
    for ty in TYPES {
        for how in ["fncache", "by_hand"] {
            group.bench_function(format!("{how}/{ty}"), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| run_child(&format!("{how}:{ty}"))).sum());
            });
        }
    }
    group.finish();
    criterion.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs this binary as a child in `role` and returns the time it reported.
fn run_child(role: &str) -> Duration {
    let output = Command::new(std::env::current_exe().unwrap())
        .env("FNCACHE_BENCH_CHILD", role)
        .env("FNCACHE_DIR", dir())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{role}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let nanos: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    Duration::from_nanos(nanos)
}

fn child(role: &str) {
    let took = match role.split_once(':') {
        None => {
            // Write the entries, and the plain files the by-hand readers read.
            assert_eq!(string_1mib(), string_value());
            assert_eq!(floats_1mib(), floats_value());
            assert_eq!(bytes_1mib(), bytes_value());
            plain("string", &string_value());
            plain("floats", &floats_value());
            plain("bytes", &bytes_value());
            Duration::ZERO
        }
        Some(("fncache", "string")) => first_call(string_1mib),
        Some(("fncache", "floats")) => first_call(floats_1mib),
        Some(("fncache", "bytes")) => first_call(bytes_1mib),
        Some(("by_hand", "string")) => by_hand::<String>("string"),
        Some(("by_hand", "floats")) => by_hand::<Vec<f64>>("floats"),
        Some(("by_hand", "bytes")) => by_hand::<Vec<u8>>("bytes"),
        _ => panic!("unknown role {role}"),
    };
    println!("{}", took.as_nanos());
}

fn plain<T: Serialize>(name: &str, value: &T) {
    let bytes = fncache_runtime::codec::encode(value).unwrap();
    std::fs::write(dir().join(format!("{name}.bin")), bytes).unwrap();
}

fn first_call<T: PartialEq + std::fmt::Debug>(f: fn() -> T) -> Duration {
    let start = Instant::now();
    let value = black_box(f());
    let took = start.elapsed();
    assert!(!COMPUTED.load(Ordering::Relaxed), "not a disk hit");
    drop(value);
    took
}

fn by_hand<T: DeserializeOwned>(name: &str) -> Duration {
    let path = dir().join(format!("{name}.bin"));
    let start = Instant::now();
    let bytes = std::fs::read(&path).unwrap();
    let value: T = fncache_runtime::codec::decode(&bytes).unwrap();
    let took = start.elapsed();
    drop(black_box(value));
    took
}
