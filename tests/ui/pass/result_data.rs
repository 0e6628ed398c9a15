use fncache::cache_data;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Not serializable: an `Err` is never stored, so it need not be.
#[derive(Debug, PartialEq)]
struct ParseError;

#[cache_data]
fn parse(text: String) -> Result<u32, ParseError> {
    RUNS.fetch_add(1, Ordering::SeqCst);
    text.parse().map_err(|_| ParseError)
}

#[cache_data]
fn read(path: String) -> std::io::Result<String> {
    Ok(path)
}

fn main() {
    assert_eq!(parse("x".into()), Err(ParseError));
    assert_eq!(parse("x".into()), Err(ParseError));
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(parse("7".into()), Ok(7));
    assert_eq!(parse("7".into()), Ok(7));
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
    assert_eq!(read("a".into()).unwrap(), "a");
}
