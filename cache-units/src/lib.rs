//! The `<number><unit>` quantities of [fncache](https://docs.rs/fncache): byte sizes
//! (`max_size = "500MB"`, `FNCACHE_MAX_MEMORY=2GiB`) and the parts durations are written in
//! (`ttl = "1h 30m"`).
//!
//! One reader for the macros, which parse their options at compile time, and for the runtime,
//! which parses the memory budget from code and from the environment, so that both take exactly
//! the same forms.
//!
//! ```
//! assert_eq!(fncache_units::size::parse("1.5GiB"), Ok(1_610_612_736));
//! assert!(fncache_units::size::parse("12 parsecs").is_err());
//! ```

#![warn(missing_docs)]

pub mod quantity;
pub mod size;
