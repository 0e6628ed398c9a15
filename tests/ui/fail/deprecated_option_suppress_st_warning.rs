// `suppress_st_warning` is accepted (and ignored) by `#[cache]` only; the new attributes reject it.
use fncache::cache_data;

#[cache_data(suppress_st_warning = true)]
fn total(values: Vec<u32>) -> u32 {
    values.iter().sum()
}

fn main() {
    let _ = total(vec![1]);
}
