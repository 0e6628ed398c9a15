//! The runtime of [fncache](https://docs.rs/fncache): what the `#[cache_data]` and
//! `#[cache_resource]` attributes expand to calls of.
//!
//! Users depend on the `fncache` crate, which re-exports what is public here; generated code
//! reaches this crate only through `::fncache::__private`. The pieces:
//!
//! - [`key`]: the canonical encoding of a call's arguments into a [`Key`](key::Key).
//! - [`codec`]: how `#[cache_data]` values are encoded (serde + bincode 2, or CBOR where
//!   bincode cannot carry them) and checked to decode back into themselves.
//! - [`DataCache`] and [`ResourceCache`]: one function's cache each, over a shared in-memory
//!   store with compute-once, ttl and LRU eviction, and each thread's front of it that serves
//!   repeat hits without a lock.
//! - [`persist`]: `persist = "disk"`: the persistent layer under the memory one, and the
//!   [`Storage`](persist::Storage) trait behind it.
//! - [`progress`]: the spinner and the hook that replaces it.
//! - [`clock`]: the cache's notion of time, which tests can advance.

#![warn(missing_docs)]

pub mod bounds;
mod budget;
pub mod clock;
pub mod codec;
mod data;
mod deprecation;
mod flight;
pub mod key;
mod options;
pub mod persist;
pub mod progress;
pub mod registry;
mod resource;
mod store;

pub use budget::{ByteSize, SizeError, memory_budget, remove_memory_budget, set_memory_budget};
pub use data::DataCache;
pub use deprecation::log_deprecation;
pub use options::{FnId, Options, ShowSpinner};
pub use registry::{
    CacheHandle, MethodName, cache_of, clear_all_data, clear_all_resources, memory_used,
};
pub use resource::{Hooks, ResourceCache};
pub use store::ENTRY_OVERHEAD;
