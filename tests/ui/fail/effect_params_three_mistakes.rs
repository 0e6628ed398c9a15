// Three parameters a hit would skip changes through: three errors, one on each culprit.
use fncache::cache_data;
use std::cell::Cell;

#[cache_data(ttl = 60)]
fn step(out: &mut String, seen: &[Cell<bool>], log: Box<dyn Iterator<Item = &mut u8>>) -> u8 {
    out.push('x');
    seen[0].set(true);
    log.count() as u8
}

fn main() {
    step(&mut String::new(), &[Cell::new(false)], Box::new(std::iter::empty()));
}
