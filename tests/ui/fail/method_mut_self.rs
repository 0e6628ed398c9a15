use fncache::cache_data;

#[derive(serde::Serialize)]
struct Counter {
    n: u32,
}

impl Counter {
    #[cache_data]
    fn bump(&mut self) -> u32 {
        self.n += 1;
        self.n
    }
}

fn main() {
    Counter { n: 0 }.bump();
}
