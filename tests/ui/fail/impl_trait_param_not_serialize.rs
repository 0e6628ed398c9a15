use fncache::cache_data;
use std::fmt::Display;

#[cache_data]
fn describe(x: impl Display + 'static) -> String {
    format!("<{x}>")
}

fn main() {
    describe(1);
}
