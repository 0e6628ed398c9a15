use fncache::cache_data;

struct Connection {
    url: String,
}

#[cache_data]
fn connect(url: String) -> Result<Connection, String> {
    Ok(Connection { url })
}

fn main() {
    let _ = connect("db://x".into()).map(|c| c.url);
}
