//! The cost of a cache hit, against the `cached` crate and a plain `HashMap` in the same run.
//!
//! `cargo bench --bench hit`; the figures and how to read them are in `benches/RESULTS.md`.
//!
//! - `hit/*`: one thread, one hit per iteration, cycling over pre-warmed keys so that every
//!   contender does the same index arithmetic and sees the same spread of keys.
//! - `key_1mib/*`: building the key of a 1 MiB argument, against blake3 of the same bytes.
//! - `threads/*`: total hits per second of one and of two threads, each thread on its own
//!   pre-warmed key range.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cached::macros::cached;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fncache::__private::KeyWriter;
use fncache::{cache_data, cache_resource};

/// Keys per small-value benchmark (and per thread in `threads/*`).
const KEYS: u64 = 1024;
/// Keys per large-value benchmark, so that 64 KiB values stay a few MiB in all.
const BIG_KEYS: u64 = 16;
const MIB: usize = 1 << 20;

/// The value every small-value contender returns: exactly 32 bytes.
fn string_value(x: u64) -> String {
    format!("{x:032}")
}

fn bytes_value(x: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u64 ^ x) as u8).collect()
}

#[cached]
fn cached_string(x: u64) -> String {
    string_value(x)
}

#[cache_resource(show_spinner = false)]
fn resource_string(x: u64) -> String {
    string_value(x)
}

/// Bounded, so that its hits are LRU uses: the `threads` group shows they still scale.
#[cache_resource(max_entries = 4096, show_spinner = false)]
fn bounded_resource_string(x: u64) -> String {
    string_value(x)
}

#[cache_data(show_spinner = false)]
fn data_string(x: u64) -> String {
    string_value(x)
}

#[cache_data(show_spinner = false)]
fn data_vec_1k(x: u64) -> Vec<u8> {
    bytes_value(x, 1024)
}

#[cache_data(show_spinner = false)]
fn data_vec_64k(x: u64) -> Vec<u8> {
    bytes_value(x, 64 * 1024)
}

#[cache_resource(show_spinner = false)]
fn resource_big_arg(data: &[u8]) -> u64 {
    data.len() as u64
}

/// Calls `f` on every key in `0..n` once, so that the benchmark sees hits only.
fn warm<T>(n: u64, f: impl Fn(u64) -> T) {
    for x in 0..n {
        f(x);
    }
}

/// One hit per iteration, cycling through `keys` (a power of two) pre-warmed keys.
fn bench_hit<T>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    keys: u64,
    f: impl Fn(u64) -> T,
) {
    warm(keys, &f);
    let mask = keys - 1;
    c.bench_function(name, |b| {
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 1) & mask;
            f(black_box(i))
        })
    });
}

fn hits(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit");

    let strings: HashMap<u64, String> = (0..KEYS).map(|x| (x, string_value(x))).collect();
    bench_hit(&mut group, "hashmap_string", KEYS, |x| {
        strings.get(&x).cloned()
    });
    bench_hit(&mut group, "cached_string", KEYS, cached_string);
    bench_hit(&mut group, "resource_string", KEYS, resource_string);
    bench_hit(&mut group, "data_string", KEYS, data_string);

    let vecs_1k: HashMap<u64, Vec<u8>> = (0..BIG_KEYS).map(|x| (x, bytes_value(x, 1024))).collect();
    bench_hit(&mut group, "hashmap_vec_1k", BIG_KEYS, |x| {
        vecs_1k.get(&x).cloned()
    });
    bench_hit(&mut group, "data_vec_1k", BIG_KEYS, data_vec_1k);

    let vecs_64k: HashMap<u64, Vec<u8>> = (0..BIG_KEYS)
        .map(|x| (x, bytes_value(x, 64 * 1024)))
        .collect();
    bench_hit(&mut group, "hashmap_vec_64k", BIG_KEYS, |x| {
        vecs_64k.get(&x).cloned()
    });
    bench_hit(&mut group, "data_vec_64k", BIG_KEYS, data_vec_64k);

    group.finish();
}

fn big_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_1mib");
    group
        .sample_size(20)
        .throughput(Throughput::Bytes(MIB as u64));
    let bytes = bytes_value(7, MIB);
    let text = "x".repeat(MIB);

    group.bench_function("blake3_by_hand", |b| {
        b.iter(|| blake3::hash(black_box(&bytes)))
    });
    group.bench_function("keywriter_vec_u8", |b| {
        b.iter(|| KeyWriter::new().arg(black_box(&bytes)).finish())
    });
    group.bench_function("keywriter_string", |b| {
        b.iter(|| KeyWriter::new().arg(black_box(&text)).finish())
    });
    resource_big_arg(&bytes);
    group.bench_function("resource_hit_vec_u8_arg", |b| {
        b.iter(|| resource_big_arg(black_box(&bytes)))
    });
    group.finish();
}

/// One hit on key `x`, its value dropped.
type Hit = fn(u64);

/// One share of a `threads/*` sample: how many hits, on which key range, with which function,
/// and the barrier that starts all shares at once.
struct Job {
    hits: u64,
    base: u64,
    hit: Hit,
    start: Arc<Barrier>,
}

/// When one worker started and finished its share.
type Span = (Instant, Instant);

/// Threads that live for the whole `threads` group, so that no sample pays for spawning them
/// and every sample runs on the same threads.
struct Workers {
    jobs: Vec<mpsc::Sender<Job>>,
    done: mpsc::Receiver<Span>,
}

impl Workers {
    fn spawn<'s>(scope: &'s thread::Scope<'s, '_>, n: usize) -> Self {
        let (done_tx, done) = mpsc::channel();
        let jobs = (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<Job>();
                let done = done_tx.clone();
                scope.spawn(move || {
                    for job in rx {
                        job.start.wait();
                        let began = Instant::now();
                        for i in 0..job.hits {
                            (job.hit)(black_box(job.base + (i & (KEYS - 1))));
                        }
                        let span = (began, Instant::now());
                        done.send(span).expect("the bench waits for every share");
                    }
                });
                tx
            })
            .collect();
        Workers { jobs, done }
    }

    /// Runs `iters` hits split over the first `threads` workers, thread `t` on keys
    /// `t * KEYS..(t + 1) * KEYS`, and returns the wall-clock time from the moment the first of
    /// them starts hitting until the last one is done, as the workers themselves read the
    /// clock (so that waking this thread up afterwards is not counted).
    fn run(&self, threads: u64, iters: u64, hit: Hit) -> Duration {
        let start = Arc::new(Barrier::new(threads as usize + 1));
        for (t, jobs) in (0..threads).zip(&self.jobs) {
            let hits = iters / threads + u64::from(t < iters % threads);
            let job = Job {
                hits,
                base: t * KEYS,
                hit,
                start: start.clone(),
            };
            jobs.send(job).expect("the workers outlive the group");
        }
        start.wait();
        let spans: Vec<Span> = (0..threads)
            .map(|_| self.done.recv().expect("every worker reports back"))
            .collect();
        let began = spans
            .iter()
            .map(|s| s.0)
            .min()
            .expect("at least one worker");
        let ended = spans
            .iter()
            .map(|s| s.1)
            .max()
            .expect("at least one worker");
        ended - began
    }
}

fn threads(c: &mut Criterion) {
    warm(2 * KEYS, resource_string);
    warm(2 * KEYS, cached_string);
    warm(2 * KEYS, bounded_resource_string);
    let contenders: [(&str, Hit); 3] = [
        ("resource_string", |x| drop(black_box(resource_string(x)))),
        ("bounded_resource_string", |x| {
            drop(black_box(bounded_resource_string(x)))
        }),
        ("cached_string", |x| drop(black_box(cached_string(x)))),
    ];
    thread::scope(|scope| {
        let workers = Workers::spawn(scope, 2);
        let mut group = c.benchmark_group("threads");
        group.throughput(Throughput::Elements(1));
        for (name, hit) in contenders {
            for n in [1, 2] {
                group.bench_function(format!("{name}/{n}"), |b| {
                    b.iter_custom(|iters| workers.run(n, iters, hit))
                });
            }
        }
        group.finish();
        // Dropping `workers` closes the job channels, and the scope joins the threads.
    });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = hits, big_keys, threads
}
criterion_main!(benches);
