use fncache::cache_data;

#[cache_data(persist = false)]
fn square(x: u32) -> u32 {
    x * x
}

fn main() {
    assert_eq!(square(3), 9);
    assert_eq!(square(3), 9);
    assert_eq!(square::__fncache().len(), 1);
}
