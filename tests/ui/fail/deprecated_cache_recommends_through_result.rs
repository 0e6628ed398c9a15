// `#[cache]` decides on the `T` of `Result<T, E>`: here `Vec<String>`, data.
#![deny(deprecated)]

use fncache::cache;

#[cache(max_entries = 10)]
fn read_lines(path: String) -> Result<Vec<String>, std::io::Error> {
    Ok(vec![path])
}

fn main() {
    assert_eq!(read_lines("a".into()).unwrap(), ["a"]);
}
