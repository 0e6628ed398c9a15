// The most common old form: `#[cache(hash_funcs = ..)]`. The error names `#[cache]` and says
// what to write instead.
use fncache::cache;

#[cache(ttl = 60, hash_funcs = my_hashers)]
fn lookup(id: u32) -> String {
    id.to_string()
}

fn main() {
    let _ = lookup(1);
}
