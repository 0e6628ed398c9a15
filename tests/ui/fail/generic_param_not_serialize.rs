use fncache::cache_data;

#[cache_data]
fn length<T: AsRef<str>>(text: T) -> usize {
    text.as_ref().len()
}

fn main() {
    length("abc");
}
