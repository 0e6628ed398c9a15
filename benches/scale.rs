//! The store at scale, against `cached` and `quick_cache` in the same run.
//!
//! `cargo bench --bench scale`; the figures and how to read them are in `benches/RESULTS.md`.
//!
//! - `evict/*`: a miss of a trivial `u64 -> u64` function into a full bounded cache, so that
//!   every call stores one entry and evicts one. fncache at 100 and at 100k entries (the cost
//!   must not grow with the cache), `cached` at 100k.
//! - `miss/*`: the bare miss of the same function in an unbounded cache, cleared every 100k
//!   calls outside the timing so that the map stays the same size throughout.
//! - `hit_100k/*`: one hit per iteration over 100k pre-warmed keys, scattered over `u64`.
//! - `budget/*`, last (the budget is the process's, and once set, every data cache keeps an
//!   LRU order): `evict_100k`, the miss of an unbounded function that the memory budget holds
//!   at 100k entries, so that every call evicts one across the budget's caches (compare
//!   `evict/fncache_100k`); `hit_100k_data`, the hit of `hit_100k/data` after a budget was set
//!   (and removed), so that every hit is noted for the LRU order.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cached::Cached;
use cached::macros::cached;
use criterion::{Criterion, criterion_group, criterion_main};
use fncache::{cache_data, cache_resource};

const SMALL: u64 = 100;
const LARGE: u64 = 100_000;

/// Spreads consecutive indices over `u64`, as real keys are (an odd multiplier is a bijection).
fn scatter(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cache_data(max_entries = 100, show_spinner = false)]
fn data_bounded_100(x: u64) -> u64 {
    x ^ 1
}

#[cache_data(max_entries = 100000, show_spinner = false)]
fn data_bounded_100k(x: u64) -> u64 {
    x ^ 1
}

#[cached(max_size = 100000)]
fn cached_bounded_100k(x: u64) -> u64 {
    x ^ 1
}

#[cache_data(show_spinner = false)]
fn data_unbounded(x: u64) -> u64 {
    x ^ 1
}

#[cached]
fn cached_unbounded(x: u64) -> u64 {
    x ^ 1
}

#[cache_data(show_spinner = false)]
fn data_hit(x: u64) -> u64 {
    x ^ 1
}

#[cache_resource(show_spinner = false)]
fn resource_hit(x: u64) -> u64 {
    x ^ 1
}

#[cached]
fn cached_hit(x: u64) -> u64 {
    x ^ 1
}

#[cache_data(show_spinner = false)]
fn data_budgeted(x: u64) -> u64 {
    x ^ 1
}

/// Every iteration a key never seen before, into a cache filled to `size` first.
fn bench_evict(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    size: u64,
    f: impl Fn(u64) -> u64,
) {
    for i in 0..size {
        f(scatter(i));
    }
    let mut next = size;
    group.bench_function(name, |b| {
        b.iter(|| {
            next += 1;
            f(black_box(scatter(next)))
        })
    });
}

/// Misses in batches of [`LARGE`] new keys, `clear` run between batches, untimed.
fn bench_miss(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    f: impl Fn(u64) -> u64,
    clear: impl Fn(),
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let batch = (iters - done).min(LARGE);
                clear();
                let start = Instant::now();
                for i in 0..batch {
                    black_box(f(black_box(scatter(i))));
                }
                total += start.elapsed();
                done += batch;
            }
            total
        })
    });
}

fn bench_hit<T>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    f: impl Fn(u64) -> T,
) {
    for i in 0..LARGE {
        f(scatter(i));
    }
    let mut i = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            i = if i + 1 == LARGE { 0 } else { i + 1 };
            f(black_box(scatter(i)))
        })
    });
}

fn evict(c: &mut Criterion) {
    let mut group = c.benchmark_group("evict");
    bench_evict(&mut group, "fncache_100", SMALL, data_bounded_100);
    bench_evict(&mut group, "fncache_100k", LARGE, data_bounded_100k);
    bench_evict(&mut group, "cached_100k", LARGE, cached_bounded_100k);
    group.finish();
}

fn miss(c: &mut Criterion) {
    let mut group = c.benchmark_group("miss");
    bench_miss(&mut group, "fncache", data_unbounded, data_unbounded::clear);
    bench_miss(&mut group, "cached", cached_unbounded, || {
        CACHED_UNBOUNDED.write().cache_clear()
    });
    group.finish();
}

fn hit(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit_100k");
    let quick = quick_cache::sync::Cache::<u64, u64>::new(LARGE as usize);
    bench_hit(&mut group, "quick_cache", |x| {
        quick.get(&x).unwrap_or_else(|| {
            quick.insert(x, x ^ 1);
            x ^ 1
        })
    });
    bench_hit(&mut group, "cached", cached_hit);
    bench_hit(&mut group, "resource", resource_hit);
    bench_hit(&mut group, "data", data_hit);
    group.finish();
}

fn budget(c: &mut Criterion) {
    let mut group = c.benchmark_group("budget");
    fncache::cache_data::clear();
    for i in 0..LARGE {
        data_budgeted(scatter(i));
    }
    fncache::set_memory_budget(fncache::memory_used()).expect("a budget");
    bench_evict(&mut group, "evict_100k", LARGE, data_budgeted);
    // Without the budget, the caches still keep their order (and note every hit) from now on.
    fncache::remove_memory_budget();
    fncache::cache_data::clear();
    bench_hit(&mut group, "hit_100k_data", data_hit);
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = evict, miss, hit, budget
}
criterion_main!(benches);
