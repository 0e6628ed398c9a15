// A `&mut` parameter: a hit skips the body, so the caller's buffer would stay empty.
use fncache::cache_data;

#[cache_data]
fn fill(buf: &mut Vec<u8>, n: usize) -> usize {
    buf.extend(std::iter::repeat_n(0, n));
    buf.len()
}

fn main() {
    let mut buf = Vec::new();
    fill(&mut buf, 3);
}
