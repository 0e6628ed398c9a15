use fncache::cache_data;

#[cache_data]
struct Table {
    rows: Vec<u32>,
}

fn main() {}
