//! `FNCACHE_MAX_MEMORY`: the budget the environment sets, read when the first cache is first
//! used. Each case runs in a child process of this test (the variable is read once per
//! process), which checks what it must and exits with a failure if it does not hold.

mod common;

use std::process::Command;

use common::capture;
use fncache::cache_data;

/// Which case the child runs; unset in the parent.
const CHILD: &str = "FNCACHE_BUDGET_ENV_CASE";

#[cache_data(show_spinner = false)]
fn kilobyte(x: u32) -> Vec<u8> {
    vec![x as u8; 1000]
}

fn fill() {
    for x in 0..10 {
        assert_eq!(kilobyte(x), vec![x as u8; 1000]);
    }
}

/// What each case checks, in the child.
fn child(case: &str) {
    capture::install();
    match case {
        "bytes" => {
            fill(); // the first use reads the variable
            assert!(fncache::memory_used() <= 5000, "{}", fncache::memory_used());
            assert!(kilobyte::__fncache().len() >= 3);
            assert_eq!(fncache::memory_budget(), Some(5000));
            fncache::set_memory_budget("1MiB").expect("a budget");
            assert_eq!(fncache::memory_budget(), Some(1 << 20), "code replaces it");
        }
        "units" => {
            fill();
            assert_eq!(fncache::memory_budget(), Some(3 * 1024 + 512));
            assert!(fncache::memory_used() <= 3 * 1024 + 512);
        }
        "bad" => {
            fill();
            fill();
            assert_eq!(fncache::memory_budget(), None, "a bad value sets no budget");
            assert_eq!(kilobyte::__fncache().len(), 10, "nothing was evicted");
            let warnings = capture::lines_with("FNCACHE_MAX_MEMORY is ignored");
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0]
                    .message
                    .contains("`lots` is not a memory budget"),
                "{}",
                warnings[0].message
            );
        }
        "unset" => {
            fill();
            assert_eq!(fncache::memory_budget(), None);
            assert_eq!(kilobyte::__fncache().len(), 10);
            assert!(capture::lines_with("FNCACHE_MAX_MEMORY").is_empty());
        }
        other => panic!("no case `{other}`"),
    }
}

fn main() {
    if let Ok(case) = std::env::var(CHILD) {
        child(&case);
        return;
    }
    let this = std::env::current_exe().expect("the test's own path");
    for (case, value) in [
        ("bytes", Some("5000")),
        ("units", Some("3.5 KiB")),
        ("bad", Some("lots")),
        ("unset", None),
    ] {
        let mut command = Command::new(&this);
        command.env(CHILD, case);
        match value {
            Some(value) => command.env("FNCACHE_MAX_MEMORY", value),
            None => command.env_remove("FNCACHE_MAX_MEMORY"),
        };
        let output = command.output().expect("the child runs");
        assert!(
            output.status.success(),
            "case `{case}` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        println!("FNCACHE_MAX_MEMORY case `{case}`: ok");
    }
}
