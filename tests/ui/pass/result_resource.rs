use fncache::cache_resource;
use std::sync::Arc;

struct Client {
    url: String,
}

#[derive(Debug)]
struct ConnectError;

#[cache_resource]
fn connect(url: String) -> Result<Client, ConnectError> {
    if url.is_empty() {
        return Err(ConnectError);
    }
    Ok(Client { url })
}

fn main() {
    let a: Result<Arc<Client>, ConnectError> = connect("db://x".into());
    let a = a.unwrap();
    assert_eq!(a.url, "db://x");
    assert!(Arc::ptr_eq(&a, &connect("db://x".into()).unwrap()));
    assert!(connect(String::new()).is_err());
    assert_eq!(connect::__fncache().len(), 1);
}
