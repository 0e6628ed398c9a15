// `self: Pin<&mut Self>` is a `&mut self` too.
use fncache::cache_data;
use std::pin::Pin;

#[derive(serde::Serialize)]
struct Counter {
    n: u32,
}

impl Counter {
    #[cache_data]
    fn bump(self: Pin<&mut Self>) -> u32 {
        let this = self.get_mut();
        this.n += 1;
        this.n
    }
}

fn main() {
    let mut c = Counter { n: 0 };
    Pin::new(&mut c).bump();
}
