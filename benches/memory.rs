//! Memory per entry and the `max_size` bound, measured as RSS growth of this process.
//!
//! `cargo bench --bench memory`; prints one line per scenario (figures in `benches/RESULTS.md`).
//!
//! - `entry/*`: 1e6 distinct calls of a `u64 -> u64` function; RSS growth per entry.
//! - `stack/*`: the stack one level of a memoized recursion takes, from the addresses of a
//!   local 100 levels apart (well within the first stack segment).
//! - `max_size_64mib`: 200k distinct calls returning 1 KiB values under
//!   `max_size = "64MiB"`; RSS growth against 64 MiB (the bound counts the overhead too).

use std::hint::black_box;

use fncache::{cache_data, cache_resource};

const ENTRIES: u64 = 1_000_000;
const MIB: f64 = 1024.0 * 1024.0;

#[cache_data(show_spinner = false)]
fn data_unbounded(x: u64) -> u64 {
    x ^ 1
}

#[cache_data(max_entries = 2000000, show_spinner = false)]
fn data_bounded(x: u64) -> u64 {
    x ^ 1
}

#[cache_resource(show_spinner = false)]
fn resource_unbounded(x: u64) -> u64 {
    x ^ 1
}

#[cache_data(max_size = "64MiB", show_spinner = false)]
fn kibibyte(x: u64) -> Vec<u8> {
    vec![x as u8; 1024]
}

/// The address of a local at each depth of the last `stack_*` recursion.
static DEPTHS: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

fn mark() {
    let local = 0u8;
    DEPTHS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(std::ptr::from_ref(&local).addr());
}

#[cache_data(show_spinner = false)]
fn stack_data(n: u64) -> u64 {
    mark();
    if n == 0 { 0 } else { stack_data(n - 1) + 1 }
}

#[cache_resource(show_spinner = false)]
fn stack_resource(n: u64) -> u64 {
    mark();
    if n == 0 {
        0
    } else {
        *stack_resource(n - 1) + 1
    }
}

fn plain(n: u64) -> u64 {
    mark();
    if n == 0 {
        0
    } else {
        black_box(plain(n - 1)) + 1
    }
}

fn per_level(name: &str, f: impl Fn(u64) -> u64) {
    DEPTHS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    black_box(f(300));
    let depths = DEPTHS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let bytes = depths[100].abs_diff(depths[200]) / 100;
    println!("stack/{name}: {bytes} B per level");
}

/// The resident set of this process, in bytes (Linux).
fn rss() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's second field");
    pages * 4096.0
}

fn grow(name: &str, n: u64, f: impl Fn(u64) -> u64) {
    let before = rss();
    for x in 0..n {
        black_box(f(x.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    }
    let after = rss();
    println!(
        "entry/{name}: {:.0} B per entry ({:.1} MiB for {n})",
        (after - before) / n as f64,
        (after - before) / MIB
    );
}

/// One scenario per process, so that memory one freed does not hide the growth of the next.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list; there is nothing to run as a test
    }
    match args.iter().find_map(|a| a.strip_prefix("--scenario=")) {
        Some(scenario) => run(scenario),
        None => {
            for scenario in [
                "stack",
                "data",
                "data_bounded",
                "resource",
                "max_size_64mib",
            ] {
                let status = std::process::Command::new(&args[0])
                    .arg(format!("--scenario={scenario}"))
                    .status()
                    .expect("the bench re-runs itself");
                assert!(status.success(), "{scenario} failed");
            }
        }
    }
}

fn run(scenario: &str) {
    match scenario {
        "stack" => {
            per_level("plain", plain);
            per_level("data", stack_data);
            per_level("resource", |n| *stack_resource(n));
        }
        "data" => grow("data", ENTRIES, data_unbounded),
        "data_bounded" => grow("data_bounded", ENTRIES, data_bounded),
        "resource" => grow("resource", ENTRIES, |x| *resource_unbounded(x)),
        "max_size_64mib" => {
            let before = rss();
            for x in 0..200_000 {
                black_box(kibibyte(x));
            }
            let grown = (rss() - before) / MIB;
            println!(
                "max_size_64mib: RSS grew {grown:.1} MiB ({:.2}x the bound) with {} entries held",
                grown / 64.0,
                kibibyte::__fncache().len()
            );
        }
        other => panic!("no scenario {other}"),
    }
}
