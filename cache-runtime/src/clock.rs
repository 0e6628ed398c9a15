//! The cache's clock: monotonic time in nanoseconds, with an offset that tests can advance.
//!
//! Every ttl decision reads [`now`]. Tests of ttl behaviour call [`advance`] instead of
//! sleeping, so they run in microseconds and do not depend on how busy the machine is.
//! Persisted entries, which must age across restarts, read the wall clock instead
//! ([`wall_now`]), which [`advance`] moves just the same.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

static EPOCH: OnceLock<Instant> = OnceLock::new();
static OFFSET_NANOS: AtomicU64 = AtomicU64::new(0);

/// Where [`now`] starts: far enough from zero (about 146 years) that an entry loaded from disk
/// can be dated back by its age, even in a process that started a moment ago.
const ORIGIN: u64 = 1 << 62;

/// Nanoseconds since an origin long before the cache's clock started, plus every [`advance`]
/// so far. Only differences between two readings mean anything.
#[inline]
pub fn now() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    let real = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
    ORIGIN
        .saturating_add(real)
        .saturating_add(OFFSET_NANOS.load(Ordering::Relaxed))
}

/// Nanoseconds since the Unix epoch by the system's wall clock, plus every [`advance`] so far:
/// the time persisted entries are stamped with, so that their ttl runs on across restarts.
///
/// ```
/// use std::time::Duration;
/// let before = fncache_runtime::clock::wall_now();
/// fncache_runtime::clock::advance(Duration::from_secs(60));
/// assert!(fncache_runtime::clock::wall_now() >= before + 60_000_000_000);
/// ```
pub fn wall_now() -> u64 {
    let real = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        });
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
