//! Helpers of the persistence tests: fresh directories, child processes, warning counts.
//!
//! Where a test needs a process of its own (a restart, a crash, a process-wide setting), it
//! runs its own test binary again, as a child that executes one ignored `#[test]` function
//! (`child`) with a role in the environment; the child reports what it saw on stdout as
//! `@@name=value` lines.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing::Subscriber;
use tracing::span::{Attributes, Id, Record};

/// A fresh directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(what: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "fncache-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        make_writable(&self.0);
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Gives every directory under `dir` its owner's write permission back.
pub fn make_writable(dir: &Path) {
    if let Ok(meta) = fs::symlink_metadata(dir)
        && meta.is_dir()
    {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        }
        for item in fs::read_dir(dir).into_iter().flatten().flatten() {
            make_writable(&item.path());
        }
    }
}

/// Every regular file under `dir`, recursively, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for item in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = item.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The entry files under `dir` (temporary files, whose names start with `.`, left out).
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    files(dir).into_iter().filter(|p| !is_temp(p)).collect()
}

pub fn is_temp(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// The role of this process, if it is a child.
pub fn role() -> String {
    std::env::var("FNCACHE_TEST_ROLE").expect("run by a parent test with FNCACHE_TEST_ROLE set")
}

/// An environment variable of the child's, parsed.
pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().expect(name))
}

/// Reports a value to the parent, on a line of its own (libtest may have started one).
pub fn report(name: &str, value: impl std::fmt::Display) {
    println!("\n@@{name}={value}");
}

/// A child process of this test binary, playing `role` with the cache under `dir`.
pub fn child_command(dir: &Path, role: &str) -> Command {
    child_command_of(
        &std::env::current_exe().expect("the test binary"),
        dir,
        role,
    )
}

pub fn child_command_of(exe: &Path, dir: &Path, role: &str) -> Command {
    let mut command = Command::new(exe);
    command
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FNCACHE_DIR", dir)
        .env("FNCACHE_TEST_ROLE", role)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// What a child reported.
#[derive(Debug)]
pub struct Reported(HashMap<String, String>);

impl Reported {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("the child did not report `{name}`: {:?}", self.0))
    }

    pub fn u64(&self, name: &str) -> u64 {
        self.get(name).parse().expect(name)
    }
}

/// Runs a child to the end and returns its report; a child that failed fails the test.
pub fn run(mut command: Command) -> Reported {
    let output = command.output().expect("start the child");
    parse(&output)
}

pub fn parse(output: &Output) -> Reported {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}"
    );
    Reported(
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix("@@"))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// Runs a child and hands back the process, for tests that kill it.
pub fn spawn(mut command: Command) -> Child {
    command.spawn().expect("start the child")
}

/// Runs `f` and counts the warnings it logs on this thread.
pub fn count_warnings<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let counter = WarningCounter::default();
    let count = counter.count.clone();
    let result = tracing::subscriber::with_default(counter, f);
    (result, count.load(Ordering::Relaxed))
}

/// A `tracing` subscriber that counts `WARN` events.
#[derive(Default)]
struct WarningCounter {
    count: std::sync::Arc<AtomicUsize>,
}

impl Subscriber for WarningCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
