// A `const fn` in an `impl` block is rejected like a free one.
use fncache::cache_data;

#[derive(serde::Serialize)]
struct Grid {
    w: u32,
}

impl Grid {
    #[cache_data]
    const fn cells(&self, h: u32) -> u32 {
        self.w * h
    }
}

fn main() {
    Grid { w: 2 }.cells(3);
}
