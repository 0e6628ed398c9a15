//! Byte sizes for `max_size`, parsed at compile time: `1000`, `"500MB"`, `"1.5GiB"`, `"64 kib"`.

/// The accepted forms, for error messages.
pub(crate) const FORMS: &str = "a positive integer of bytes (`max_size = 1048576`) or a size string: \
     a number, fractions allowed, and a unit, `B`, `KB`, `MB`, `GB`, `TB` (powers of 1000) or `KiB`, \
     `MiB`, `GiB`, `TiB` (powers of 1024), in any case (`\"500MB\"`, `\"1.5GiB\"`, `\"64 kib\"`)";

/// Parses `<number><unit>`, with optional spaces around and between, into bytes.
pub(crate) use fncache_units::size::parse;
