// A tuple pattern with a `&mut` in its type, and a `&mut` in an array and a `Vec`.
use fncache::cache_data;

#[cache_data]
fn split((out, n): (&mut Vec<u8>, usize)) -> usize {
    out.push(n as u8);
    out.len()
}

#[cache_data]
fn zero(pair: [&mut u8; 2], many: Vec<&mut u8>) -> usize {
    for x in pair.into_iter().chain(many) {
        *x = 0;
    }
    2
}

fn main() {
    let mut out = Vec::new();
    split((&mut out, 1));
    let (mut a, mut b) = (1, 2);
    zero([&mut a, &mut b], Vec::new());
}
