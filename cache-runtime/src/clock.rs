//! The cache's clock: monotonic time in nanoseconds, with an offset that tests can advance.
//!
//! Every ttl decision reads [`now`]. Tests of ttl behaviour call [`advance`] instead of
//! sleeping, so they run in microseconds and do not depend on how busy the machine is.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static EPOCH: OnceLock<Instant> = OnceLock::new();
static OFFSET_NANOS: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds since the cache's clock started, plus every [`advance`] so far.
#[inline]
pub fn now() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    let real = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
    real.saturating_add(OFFSET_NANOS.load(Ordering::Relaxed))
}

/// Moves the cache's clock forward by `by`, for every cache in the process.
///
/// Meant for tests of code that uses `ttl`: entries stored before the call age by `by`, so a
/// test can expire them without sleeping. Time never goes backwards.
///
/// ```
/// use std::time::Duration;
/// let before = fncache_runtime::clock::now();
/// fncache_runtime::clock::advance(Duration::from_secs(3600));
/// assert!(fncache_runtime::clock::now() >= before + 3_600_000_000_000);
/// ```
pub fn advance(by: Duration) {
    let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
    OFFSET_NANOS.fetch_add(nanos, Ordering::Relaxed);
}

/// Converts a ttl to the clock's unit, saturating.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
