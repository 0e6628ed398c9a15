// Streamlit's `hash_funcs` becomes `#[hash_with(path)]` on the parameter, or a `_` prefix.
use fncache::cache_data;

#[cache_data(hash_funcs = my_hashers)]
fn lookup(id: u32) -> String {
    id.to_string()
}

fn main() {
    let _ = lookup(1);
}
