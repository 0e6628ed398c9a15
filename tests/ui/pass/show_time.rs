use fncache::cache_data;

#[cache_data(show_time = true)]
fn square(x: u32) -> u32 {
    x * x
}

#[cache_data(show_time = false, show_spinner = true)]
fn cube(x: u32) -> u32 {
    x * x * x
}

fn main() {
    assert_eq!(square(3), 9);
    assert_eq!(cube(2), 8);
    assert_eq!(square::__fncache().len(), 1);
    assert_eq!(cube::__fncache().len(), 1);
}
