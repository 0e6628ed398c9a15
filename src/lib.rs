//! Streamlit-style function caching for Rust.
//!
//! placeholder docs
#![warn(missing_docs)]

pub use fncache_macros::{
    cache, cache_data, cache_resource, experimental_memo, experimental_singleton,
};

/// Controls every `#[cache_data]` cache of the process.
pub mod cache_data {
    /// Empties every `#[cache_data]` cache in the process.
    pub fn clear() {
        fncache_runtime::clear_all_data();
    }
}

/// Controls every `#[cache_resource]` cache of the process.
pub mod cache_resource {
    /// Empties every `#[cache_resource]` cache in the process, releasing each value.
    pub fn clear() {
        fncache_runtime::clear_all_resources();
    }
}

pub use fncache_runtime::{clock, progress};

#[doc(hidden)]
pub mod __private {
    pub use fncache_runtime::key::{Key, KeyWriter};
    pub use fncache_runtime::{
        DataCache, FnId, Options, ResourceCache, ShowSpinner, log_deprecation,
    };
    pub use std::sync::Arc;
    pub use std::time::Duration;
}
