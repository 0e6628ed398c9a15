use fncache::cache_data;

#[cache_data(persist = true, version = 1.5)]
fn float(x: u64) -> u64 {
    x
}

#[cache_data(persist = true, version = "  ")]
fn blank(x: u64) -> u64 {
    x
}

#[cache_data(persist = true, version = CURRENT)]
fn path(x: u64) -> u64 {
    x
}

fn main() {
    let _ = (float(1), blank(1), path(1));
}
