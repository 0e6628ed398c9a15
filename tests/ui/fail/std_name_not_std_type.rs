use fncache::cache_data;
use serde::Serialize;

/// Not std's: a parameter written `SocketAddr` is keyed as std's, so this is refused.
#[derive(Serialize)]
struct SocketAddr(String);

#[cache_data]
fn connect(addr: SocketAddr) -> String {
    addr.0
}

fn main() {
    let _ = connect(SocketAddr(String::from("a")));
}
