// A pattern parameter with a one-line body that is a single expression compiles without a
// warning: the expansion must not wrap the user's block so that `unused_braces` fires on it.
// (rustfmt spreads a body over lines, which hides the lint; hand-written code often does not.)
#![deny(warnings)]

use fncache::{cache_data, cache_resource};

#[cache_data]
fn add((a, b): (u32, u32)) -> u32 { a + b }

#[cache_resource]
async fn first([a, _]: [u8; 2], offset: u8) -> u8 { a + offset }

#[derive(serde::Serialize)]
struct Grid;

impl Grid {
    #[cache_data]
    fn cell(&self, (x, y): (u32, u32)) -> u32 { x * y }
}

fn main() {
    assert_eq!(add((1, 2)), 3);
    assert_eq!(*futures_executor::block_on(first([1, 2], 1)), 2);
    assert_eq!(Grid.cell((2, 3)), 6);
}
