// Const generic parameters are part of the key; the companion carries them.
use fncache::cache_data;

#[cache_data]
fn zeros<const N: usize>(fill: u8) -> Vec<u8> {
    vec![fill; N]
}

fn main() {
    assert_eq!(zeros::<2>(1), [1, 1]);
    assert_eq!(zeros::<3>(1), [1, 1, 1]);
    zeros::clear_entry::<2>(1);
}
