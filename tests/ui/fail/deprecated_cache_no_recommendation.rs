// `#[cache]` on a function returning a type it does not know recommends nothing, and names both
// new attributes.
#![deny(deprecated)]

use fncache::cache;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Report {
    lines: u32,
}

#[cache]
fn report(lines: u32) -> Report {
    Report { lines }
}

fn main() {
    assert_eq!(report(2), Report { lines: 2 });
}
