use fncache::cache_data;

struct Connection;

#[cache_data]
async fn connect(_url: String) -> Connection {
    Connection
}

fn main() {
    let _ = connect("db://x".into());
}
