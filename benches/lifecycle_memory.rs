//! Memory of the loops that issue 10 found unbounded: how much a cache keeps (live heap, by a
//! counting allocator, and resident set) after loops that should leave it holding no more than
//! a few entries.
//!
//! ```sh
//! cargo bench --bench lifecycle_memory                   # every scenario, ~15 s
//! cargo bench --bench lifecycle_memory -- ttl_max        # one of them
//! FNCACHE_MEMORY_SCALE=10 cargo bench --bench lifecycle_memory   # a tenth of the rounds
//! ```
//!
//! Each scenario runs in a process of its own (this program starts itself again), so that
//! one's freed memory, which the allocator keeps, does not hide another's growth. Figures are
//! growth from just before the loop to just after it; see `benches/RESULTS.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Command;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fncache::cache_data;

/// Counts the bytes the program holds on the heap.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above, for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as above, for `realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc's: gives freed memory back to the system, so that the resident set shows what
    /// is held rather than what was ever used.
    fn malloc_trim(pad: usize) -> i32;
}

/// Live heap and resident set (after returning freed memory where glibc can), in bytes.
fn memory() -> (isize, isize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointer and may be called at any time.
    unsafe {
        malloc_trim(0);
    }
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: isize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    (LIVE.load(Ordering::Relaxed), pages * 4096)
}

fn scale() -> u64 {
    std::env::var("FNCACHE_MEMORY_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

#[cache_data(ttl = "1d", max_entries = 10, show_spinner = false)]
fn bounded(x: u64) -> u64 {
    x.wrapping_mul(31)
}

#[cache_data(ttl = "1d", show_spinner = false)]
fn cleared(x: u64) -> u64 {
    x.wrapping_mul(31)
}

/// Holds its one computation until [`RELEASE`] is notified.
#[cache_data(show_spinner = false)]
async fn slow(x: u64) -> u64 {
    RELEASE.notified().await;
    x
}

static RELEASE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// 4M stores of distinct keys into a 10-entry cache with a ttl of a day.
fn ttl_max() -> (String, u64) {
    let n = 4_000_000 / scale();
    for x in 0..10 {
        bounded(x);
    }
    measure(|| {
        for x in 0..n {
            std::hint::black_box(bounded(x));
        }
        assert_eq!(bounded::__fncache().len(), 10);
    });
    (
        format!("{n} stores into `max_entries = 10, ttl = \"1d\"`"),
        n,
    )
}

/// 4M rounds of a store then its `clear_entry`, holding no entry at the end.
fn clear_entry() -> (String, u64) {
    let n = 4_000_000 / scale();
    cleared(0);
    cleared::clear_entry(0);
    measure(|| {
        for x in 0..n {
            std::hint::black_box(cleared(x));
            cleared::clear_entry(x);
        }
        assert_eq!(cleared::__fncache().len(), 0);
    });
    (format!("{n} stores, each cleared with `clear_entry`"), n)
}

/// 200k tasks that wait for one slow computation, then are dropped while it still runs.
fn dropped_waiters() -> (String, u64) {
    waiters(true)
}

/// The baseline of [`dropped_waiters`]: the same tasks waiting for a plain `Notify`, which is
/// what tokio itself keeps after so many tasks.
fn dropped_plain_waiters() -> (String, u64) {
    waiters(false)
}

fn waiters(cached: bool) -> (String, u64) {
    static PLAIN: tokio::sync::Notify = tokio::sync::Notify::const_new();
    let n = 200_000 / scale();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let owner = tokio::spawn(slow(1));
        tokio::task::yield_now().await;
        let mut report = None;
        measure_into(&mut report, async {
            static POLLED: AtomicU64 = AtomicU64::new(0);
            let waiters: Vec<_> = (0..n)
                .map(|_| {
                    tokio::spawn(async move {
                        POLLED.fetch_add(1, Ordering::Relaxed);
                        if cached {
                            slow(1).await;
                        } else {
                            PLAIN.notified().await;
                        }
                    })
                })
                .collect();
            // Until every waiter was polled once, which registered its waker with the flight.
            while POLLED.load(Ordering::Relaxed) < n {
                tokio::task::yield_now().await;
            }
            for waiter in &waiters {
                waiter.abort();
            }
            for waiter in waiters {
                assert!(waiter.await.is_err_and(|e| e.is_cancelled()));
            }
        })
        .await;
        RELEASE.notify_one();
        assert_eq!(owner.await.expect("the owner finishes"), 1);
        print_report(report.expect("measured"));
    });
    let what = if cached {
        "async waiters dropped while the computation runs"
    } else {
        "tasks awaiting a plain `Notify`, dropped (baseline)"
    };
    (format!("{n} {what}"), n)
}

macro_rules! viewed {
    ($($name:ident)*) => {
        $(
            #[cache_data(show_spinner = false)]
            fn $name(x: u64) -> Vec<u8> {
                vec![x as u8; 500] // 503 bytes encoded: small enough for a thread's view
            }
        )*
        const VIEWED: &[fn(u64) -> Vec<u8>] = &[$($name),*];
    };
}

viewed!(v0 v1 v2 v3 v4 v5 v6 v7);

/// What an idle thread keeps in its views of 8 data functions it filled with 1024 keys each
/// (values of 500 bytes), after every cache was cleared.
fn idle_views() -> (String, u64) {
    let keys = 1024 / scale();
    let (filled, filled_rx) = std::sync::mpsc::channel();
    let (finish, finish_rx) = std::sync::mpsc::channel::<()>();
    let fill = move || {
        for f in VIEWED {
            for x in 0..keys {
                std::hint::black_box(f(x));
            }
        }
    };
    // Once on a thread that exits (taking its views along), so that the shared maps have
    // grown to their size before the measure: a clear keeps their capacity.
    std::thread::spawn(fill).join().expect("the warm-up ends");
    fncache::cache_data::clear();
    measure(|| {
        let idle = std::thread::spawn(move || {
            fill();
            filled.send(()).expect("the main thread waits");
            let _ = finish_rx.recv(); // idle, holding its views
        });
        filled_rx.recv().expect("the thread fills its views");
        fncache::cache_data::clear();
        // Measured here, with the thread idle: what its views still hold.
        print_report_now();
        finish.send(()).expect("the thread waits");
        idle.join().expect("the thread ends");
    });
    let n = VIEWED.len() as u64;
    (
        format!("an idle thread's views of {n} cleared data functions, {keys} keys each"),
        n,
    )
}

thread_local! {
    static BEFORE: std::cell::Cell<Option<((isize, isize), Instant)>> = const { std::cell::Cell::new(None) };
}

/// Prints the figures of the `measure` running now, at this point rather than at its end.
fn print_report_now() {
    let (before, start) = BEFORE.with(|b| b.take()).expect("inside `measure`");
    print_report((before, memory(), start.elapsed()));
}

/// Runs `run` and prints how much memory it left held (or what it printed itself with
/// [`print_report_now`]).
fn measure(run: impl FnOnce()) {
    let before = memory();
    let start = Instant::now();
    BEFORE.with(|b| b.set(Some((before, start))));
    run();
    if BEFORE.with(|b| b.take()).is_some() {
        print_report((before, memory(), start.elapsed()));
    }
}

type Report = ((isize, isize), (isize, isize), Duration);

async fn measure_into(report: &mut Option<Report>, run: impl Future<Output = ()>) {
    let before = memory();
    let start = Instant::now();
    run.await;
    *report = Some((before, memory(), start.elapsed()));
}

fn print_report(((heap0, rss0), (heap1, rss1), took): Report) {
    println!(
        "figures {} {} {:.2}",
        heap1 - heap0,
        rss1 - rss0,
        took.as_secs_f64()
    );
}

/// A scenario: what it did, and how many units its heap figure is divided by.
type Scenario = fn() -> (String, u64);

const SCENARIOS: [(&str, Scenario); 5] = [
    ("ttl_max", ttl_max),
    ("clear_entry", clear_entry),
    ("dropped_waiters", dropped_waiters),
    ("dropped_plain", dropped_plain_waiters),
    ("idle_views", idle_views),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, name] = args.as_slice()
        && flag == "--scenario"
    {
        let (_, run) = SCENARIOS
            .iter()
            .find(|(n, _)| n == name)
            .expect("a known scenario");
        let (what, n) = run();
        println!("what {what}");
        println!("rounds {n}");
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with("--"));
    let me = std::env::current_exe().expect("this program's path");
    println!(
        "{:<16} {:>14} {:>14} {:>12} {:>8}  what",
        "scenario", "live heap +", "RSS +", "heap/unit", "secs"
    );
    for (name, _) in SCENARIOS {
        if filter.is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let out = Command::new(&me)
            .args(["--scenario", name])
            .output()
            .expect("the scenario runs");
        assert!(
            out.status.success(),
            "scenario {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key).map(str::trim).map(str::to_owned))
                .unwrap_or_default()
        };
        let report: Vec<f64> = field("figures ")
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        let &[heap, rss, secs] = report.as_slice() else {
            panic!("scenario {name} printed no figures: {text}");
        };
        let rounds: f64 = field("rounds ").parse().unwrap_or(1.0);
        println!(
            "{name:<16} {:>11.2} MiB {:>11.2} MiB {:>10.1} B {secs:>8.2}  {}",
            heap / 1048576.0,
            rss / 1048576.0,
            heap / rounds,
            field("what ")
        );
    }
}
