//! The run-time side of the deprecated attributes: their text in the program's logs.

/// Logs a deprecated attribute's text for `function` (its path).
///
/// The generated code calls this from the closure that builds the function's options, which
/// runs once, on the function's first call: a deployed program shows each text once per
/// function in its logs, next to the compile-time warning its developers saw.
pub fn log_deprecation(function: &str, note: &str) {
    tracing::warn!(target: "fncache::deprecated", "fncache: `{function}`: {note}");
}
