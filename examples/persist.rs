//! `persist = "disk"`: a slow function's results outlive the process.
//!
//! Run it twice:
//!
//! ```text
//! cargo run --example persist    # computes (about a second) and writes the result to disk
//! cargo run --example persist    # reads it back from disk: the function does not run
//! cargo run --example persist -- --clear    # removes it from the disk again
//! ```
//!
//! Entries go to `$FNCACHE_DIR` if it is set, else to the user's cache directory
//! (`~/.cache/fncache` on Linux); `fncache::set_cache_dir` picks another in code.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use fncache::cache_data;

static RAN: AtomicBool = AtomicBool::new(false);

/// Stands for a slow download and parse: word frequencies of a document.
#[cache_data(persist = "disk", ttl = "1d", show_spinner = false)]
fn word_counts(document: String) -> Vec<(String, usize)> {
    RAN.store(true, Ordering::Relaxed);
    thread::sleep(Duration::from_secs(1));
    let mut counts = std::collections::BTreeMap::new();
    for word in document.split_whitespace() {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
}

const DOCUMENT: &str = "the cache keeps the result of the slow function so the second run \
                        reads the result from the disk instead of running the function";

fn main() {
    let dir = fncache::persist::DiskStorage::dir_from_env().map_or_else(
        || "(none: memory only)".to_owned(),
        |d| d.display().to_string(),
    );
    if std::env::args().any(|arg| arg == "--clear") {
        word_counts::clear();
        println!("Removed `word_counts`'s entries from {dir}.");
        return;
    }
    println!("Cache directory: {dir}");

    let start = Instant::now();
    let counts = word_counts(DOCUMENT.to_owned());
    let took = start.elapsed();
    if RAN.load(Ordering::Relaxed) {
        println!(
            "1. word_counts(..) ran and took {} (a miss); its result is now on disk for a day \
             (ttl = \"1d\").",
            human(took)
        );
        println!(
            "   Run `cargo run --example persist` again: the next process reads it from disk."
        );
    } else {
        println!(
            "1. word_counts(..) was read from disk in {}: the function did not run (a disk hit, \
             written by an earlier run).",
            human(took)
        );
    }
    println!("   Top words: {:?}", &counts[..3]);

    let start = Instant::now();
    let again = word_counts(DOCUMENT.to_owned());
    println!(
        "2. The same call again in this process: {} (a memory hit; memory is a layer over the disk).",
        human(start.elapsed())
    );
    assert_eq!(again, counts);
    println!("   `cargo run --example persist -- --clear` removes the entry.");
}

fn human(d: Duration) -> String {
    if d >= Duration::from_millis(100) {
        format!("{:.2} s", d.as_secs_f64())
    } else if d >= Duration::from_micros(100) {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    }
}
