// `&mut self` in every spelling is rejected, sync or async, with the reason.
use fncache::{cache_data, cache_resource};

#[derive(serde::Serialize)]
struct Counter {
    n: u32,
}

impl Counter {
    #[cache_data]
    fn typed(self: &mut Self) -> u32 {
        self.n += 1;
        self.n
    }

    #[cache_resource]
    async fn bump_async(&mut self, by: u32) -> u32 {
        self.n += by;
        self.n
    }
}

fn main() {
    let mut c = Counter { n: 0 };
    c.typed();
    drop(c.bump_async(1));
}
