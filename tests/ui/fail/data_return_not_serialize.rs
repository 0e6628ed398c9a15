use fncache::cache_data;

struct Connection {
    url: String,
}

#[cache_data]
fn connect(url: String) -> Connection {
    Connection { url }
}

fn main() {
    let _ = connect("db://x".into()).url;
}
