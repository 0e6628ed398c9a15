// `#[cache]` on a function returning a known data type recommends `#[cache_data]`.
#![deny(deprecated)]

use fncache::cache;

#[cache(ttl = 3600)]
fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

fn main() {
    assert_eq!(download("ab".into()), b"ab");
}
