//! Persisted entries follow the code across real builds (issue 9, cases 13–17): a small crate
//! is written to disk, built with cargo, run, edited, rebuilt and run again against the same
//! cache directory; what each run prints says what it computed and what came from disk.
//!
//! Every case lives in one generated crate, so that each state of it is built once. The
//! builds share a target directory under this test's temporary one, so only the first
//! compiles fncache's dependencies.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// What each build's source says. Each field is one of the edits a rebuild makes.
#[derive(Clone, Copy)]
struct Source {
    /// `const FACTOR` in the helper `scale` (13).
    factor: u64,
    /// The `with` helper of `Timeout`: seconds or milliseconds (15).
    millis: bool,
    /// Whether `Unit` has `Kelvin` before `Celsius` (16).
    kelvin: bool,
}

const ORIGINAL: Source = Source {
    factor: 1,
    millis: false,
    kelvin: false,
};

fn main_rs(source: Source) -> String {
    let Source {
        factor,
        millis,
        kelvin,
    } = source;
    let ser = if millis {
        "d.as_millis() as u64"
    } else {
        "d.as_secs()"
    };
    let from = if millis { "from_millis" } else { "from_secs" };
    let kelvin_variant = if kelvin { "Kelvin," } else { "" };
    let first_unit = if kelvin {
        "Unit::Kelvin"
    } else {
        "Unit::Celsius"
    };
    format!(
        r#"
use std::sync::atomic::{{AtomicU64, Ordering}};
use std::time::Duration;

use fncache::cache_data;
use serde::{{Deserialize, Serialize}};

static RUNS: AtomicU64 = AtomicU64::new(0);

fn ran() {{
    RUNS.fetch_add(1, Ordering::SeqCst);
}}

const FACTOR: u64 = {factor};

fn scale(x: u64) -> u64 {{
    x * FACTOR
}}

#[cache_data(persist = true, show_spinner = false)]
fn compute(x: u64) -> u64 {{
    ran();
    scale(x)
}}

#[cfg(feature = "mock")]
fn source() -> String {{
    String::from("mock record 1")
}}

#[cfg(not(feature = "mock"))]
fn source() -> String {{
    String::from("real record 1")
}}

#[cache_data(persist = true, show_spinner = false)]
fn record(id: u64) -> String {{
    ran();
    let _ = id;
    source()
}}

mod unit {{
    use serde::{{Deserialize, Deserializer, Serializer}};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {{
        s.serialize_u64({ser})
    }}

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {{
        Ok(Duration::{from}(u64::deserialize(d)?))
    }}
}}

#[derive(Debug, Serialize, Deserialize)]
struct Timeout {{
    #[serde(with = "unit")]
    limit: Duration,
}}

#[cache_data(persist = true, show_spinner = false)]
fn timeout() -> Timeout {{
    ran();
    Timeout {{ limit: Duration::from_secs(30) }}
}}

#[derive(Debug, Serialize, Deserialize)]
enum Unit {{
    {kelvin_variant}
    Celsius,
    Fahrenheit,
}}

#[cache_data(persist = true, show_spinner = false)]
fn unit_label(unit: Unit) -> String {{
    ran();
    format!("{{unit:?}}")
}}

#[cache_data(persist = true, show_spinner = false)]
fn first_unit() -> Unit {{
    ran();
    {first_unit}
}}

fn first() -> u64 {{
    const LOCAL: u64 = 1;
    #[cache_data(persist = true, show_spinner = false)]
    fn inner() -> u64 {{
        ran();
        LOCAL
    }}
    inner()
}}

fn second() -> u64 {{
    const LOCAL: u64 = 2;
    #[cache_data(persist = true, show_spinner = false)]
    fn inner() -> u64 {{
        ran();
        LOCAL
    }}
    inner()
}}

#[cache_data(persist = true, version = 1, show_spinner = false)]
fn stable(x: u64) -> u64 {{
    ran();
    scale(x)
}}

fn dup_a() -> u64 {{
    #[cache_data(persist = true, version = "same", show_spinner = false)]
    fn dup() -> u64 {{
        ran();
        10
    }}
    dup()
}}

fn dup_b() -> u64 {{
    #[cache_data(persist = true, version = "same", show_spinner = false)]
    fn dup() -> u64 {{
        ran();
        20
    }}
    dup()
}}

fn main() {{
    for (name, call) in [
        ("compute", Box::new(|| format!("{{:?}}", compute(21))) as Box<dyn Fn() -> String>),
        ("record", Box::new(|| format!("{{:?}}", record(1)))),
        ("timeout", Box::new(|| format!("{{:?}}", timeout().limit))),
        ("unit_label", Box::new(|| format!("{{:?}}", unit_label({first_unit})))),
        ("first_unit", Box::new(|| format!("{{:?}}", first_unit()))),
        ("first", Box::new(|| format!("{{:?}}", first()))),
        ("second", Box::new(|| format!("{{:?}}", second()))),
        ("stable", Box::new(|| format!("{{:?}}", stable(21)))),
        ("dup_a", Box::new(|| format!("{{:?}}", dup_a()))),
        ("dup_b", Box::new(|| format!("{{:?}}", dup_b()))),
    ] {{
        let before = RUNS.load(Ordering::SeqCst);
        let value = call();
        let ran = RUNS.load(Ordering::SeqCst) - before;
        println!("@@{{name}}={{value}}");
        println!("@@{{name}}_ran={{ran}}");
    }}
}}
"#
    )
}

/// The generated crate's directory, its cache directory and the shared target directory.
struct Probe {
    dir: PathBuf,
    cache: PathBuf,
    target: PathBuf,
}

/// One build at a time: they share a target directory and the machine has few cores.
static BUILDS: Mutex<()> = Mutex::new(());

impl Probe {
    fn new(name: &str) -> Probe {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("builds");
        let dir = base.join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        let root = env!("CARGO_MANIFEST_DIR");
        fs::write(
            dir.join("Cargo.toml"),
            format!(
                r#"[package]
name = "probe"
version = "0.1.0"
edition = "2024"
publish = false

[features]
mock = []

[dependencies]
fncache = {{ path = "{root}" }}
serde = {{ version = "1", features = ["derive"] }}

[workspace]
"#
            ),
        )
        .unwrap();
        fs::copy(Path::new(root).join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        Probe {
            cache: dir.join("cache"),
            target: base.join("target"),
            dir,
        }
    }

    /// Writes `source`, builds it (with `features`), and returns the executable's path.
    fn build(&self, source: Source, features: &[&str]) -> PathBuf {
        let _one = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
        fs::write(self.dir.join("src/main.rs"), main_rs(source)).unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
        let mut command = Command::new(cargo);
        command
            .arg("build")
            .arg("--offline")
            .arg("--quiet")
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("RUSTFLAGS");
        if !features.is_empty() {
            command.arg("--features").arg(features.join(","));
        }
        let output = command.output().expect("run cargo");
        assert!(
            output.status.success(),
            "the probe crate did not build:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // Each build gets its own copy: a rebuild replaces the file in place.
        let built = self.target.join("debug/probe");
        let copy = self.dir.join(format!(
            "probe-{}",
            fs::read_dir(&self.dir).unwrap().count()
        ));
        fs::copy(built, &copy).unwrap();
        copy
    }

    /// Runs a build's executable against the probe's cache directory.
    fn run(&self, exe: &Path) -> BTreeMap<String, String> {
        let output = Command::new(exe)
            .env("FNCACHE_DIR", &self.cache)
            .output()
            .expect("run the probe");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "the probe failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .filter_map(|line| line.strip_prefix("@@")?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

fn get<'a>(run: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    run.get(name)
        .unwrap_or_else(|| panic!("{name} not reported: {run:?}"))
}

/// The original build, run twice: the second run answers everything from disk.
fn filled(probe: &Probe) -> BTreeMap<String, String> {
    let exe = probe.build(ORIGINAL, &[]);
    let first = probe.run(&exe);
    assert_eq!(get(&first, "compute"), "21");
    let second = probe.run(&exe);
    for name in [
        "compute",
        "record",
        "timeout",
        "unit_label",
        "first",
        "second",
        "stable",
    ] {
        assert_eq!(
            get(&second, &format!("{name}_ran")),
            "0",
            "{name} is a disk hit"
        );
        assert_eq!(get(&second, name), get(&first, name));
    }
    second
}

#[test]
fn helper_const_change_is_a_miss_after_rebuild() {
    let probe = Probe::new("helper");
    filled(&probe);
    let exe = probe.build(
        Source {
            factor: 2,
            ..ORIGINAL
        },
        &[],
    );
    let after = probe.run(&exe);
    assert_eq!(
        get(&after, "compute"),
        "42",
        "the new helper's value, not the old entry"
    );
    assert_eq!(get(&after, "compute_ran"), "1");
}

#[test]
fn feature_build_entries_do_not_answer_the_default_build() {
    let probe = Probe::new("features");
    let mock = probe.build(ORIGINAL, &["mock"]);
    let filled = probe.run(&mock);
    assert_eq!(get(&filled, "record"), "\"mock record 1\"");
    assert_eq!(get(&probe.run(&mock), "record_ran"), "0");
    let real = probe.build(ORIGINAL, &[]);
    let after = probe.run(&real);
    assert_eq!(get(&after, "record"), "\"real record 1\"");
    assert_eq!(get(&after, "record_ran"), "1");
}

#[test]
fn with_helper_change_is_a_miss_after_rebuild() {
    let probe = Probe::new("with");
    let before = filled(&probe);
    assert_eq!(get(&before, "timeout"), "30s");
    let exe = probe.build(
        Source {
            millis: true,
            ..ORIGINAL
        },
        &[],
    );
    let after = probe.run(&exe);
    assert_eq!(
        get(&after, "timeout"),
        "30s",
        "not 30 ms from the old entry"
    );
    assert_eq!(get(&after, "timeout_ran"), "1");
}

#[test]
fn argument_and_return_type_changes_are_misses_after_rebuild() {
    let probe = Probe::new("types");
    let before = filled(&probe);
    assert_eq!(get(&before, "unit_label"), "\"Celsius\"");
    assert_eq!(get(&before, "first_unit"), "Celsius");
    let exe = probe.build(
        Source {
            kelvin: true,
            ..ORIGINAL
        },
        &[],
    );
    let after = probe.run(&exe);
    assert_eq!(get(&after, "unit_label"), "\"Kelvin\"");
    assert_eq!(get(&after, "first_unit"), "Kelvin");
    assert_eq!(get(&after, "unit_label_ran"), "1");
}

#[test]
fn nested_functions_with_one_name_have_their_own_entries() {
    let probe = Probe::new("nested");
    let exe = probe.build(ORIGINAL, &[]);
    for _ in 0..2 {
        let run = probe.run(&exe);
        assert_eq!((get(&run, "first"), get(&run, "second")), ("1", "2"));
    }
    let run = probe.run(&exe);
    assert_eq!(
        (get(&run, "first_ran"), get(&run, "second_ran")),
        ("0", "0")
    );
}

#[test]
fn version_option_keeps_entries_across_rebuilds() {
    let probe = Probe::new("version");
    filled(&probe);
    let exe = probe.build(
        Source {
            factor: 2,
            ..ORIGINAL
        },
        &[],
    );
    let after = probe.run(&exe);
    // The user said the version did not change: the old entry answers (this is what
    // `version = ..` is for, and why it is the user's to bump).
    assert_eq!(
        (get(&after, "stable"), get(&after, "stable_ran")),
        ("21", "0")
    );
    assert_eq!(get(&after, "compute"), "42");
}

#[test]
fn two_functions_with_one_version_identity_never_share_entries() {
    let probe = Probe::new("duplicate");
    let exe = probe.build(ORIGINAL, &[]);
    for _ in 0..2 {
        let run = probe.run(&exe);
        assert_eq!((get(&run, "dup_a"), get(&run, "dup_b")), ("10", "20"));
    }
}
