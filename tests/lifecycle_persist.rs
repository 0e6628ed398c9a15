//! A clear of a persisted function stays cleared while other threads miss and read the disk.
//!
//! A randomized race with a fixed seed (`FNCACHE_TEST_SEED` picks another, `FNCACHE_TEST_ROUNDS`
//! runs longer): one thread keeps calling the function while the test clears it (all of it, or
//! one entry) and then calls it itself. Every value carries the stamp current when its body
//! ran, and the test bumps the stamp before each clear, so a value from before the clear shows
//! as an older stamp. In its own test binary: it installs the process's cache directory.

mod persist_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::thread;

use fncache::cache_data;
use persist_common::TempDir;

static STAMP: AtomicU64 = AtomicU64::new(0);

#[cache_data(persist = "disk", show_spinner = false)]
fn stamped(key: u32) -> u64 {
    let _ = key;
    STAMP.load(SeqCst)
}

/// xorshift64*: enough to vary the schedule, and the same for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % below
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const KEYS: u64 = 4;

#[test]
fn a_clear_with_persist_is_never_undone_by_a_racing_disk_read() {
    let dir = TempDir::new("lifecycle-persist");
    fncache::set_cache_dir(dir.path()).expect("the first persisted call is below");
    let seed = env_or("FNCACHE_TEST_SEED", 0x5eed_f00d);
    let rounds = env_or("FNCACHE_TEST_ROUNDS", 1500);

    let stop = Arc::new(AtomicBool::new(false));
    let racer = thread::spawn({
        let stop = stop.clone();
        move || {
            let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
            while !stop.load(SeqCst) {
                let _ = stamped(rng.next(KEYS) as u32);
                if rng.next(4) == 0 {
                    thread::yield_now();
                }
            }
        }
    });

    let mut rng = Rng(seed);
    let mut stale = Vec::new();
    for round in 0..rounds {
        let key = rng.next(KEYS) as u32;
        let _ = stamped(key); // make sure there is something to clear, in memory and on disk
        let cleared_at = STAMP.fetch_add(1, SeqCst) + 1;
        let whole = rng.next(2) == 0;
        if whole {
            stamped::clear();
        } else {
            stamped::clear_entry(key);
        }
        let seen = stamped(key);
        if seen < cleared_at {
            stale.push((round, whole, cleared_at, seen));
        }
    }
    stop.store(true, SeqCst);
    racer.join().unwrap();
    assert!(
        stale.is_empty(),
        "seed {seed:#x}: {} of {rounds} calls after a clear returned a value from before it; \
         the first (round, whole clear, stamp of the clear, stamp seen): {:?}",
        stale.len(),
        &stale[..stale.len().min(5)]
    );
}
