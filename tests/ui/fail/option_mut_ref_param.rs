// A `&mut` inside the parameter's type (here with a lifetime) is refused like a bare one.
use fncache::cache_data;

#[cache_data]
fn log_into<'a>(line: String, log: Option<&'a mut Vec<String>>) -> usize {
    let len = line.len();
    if let Some(log) = log {
        log.push(line);
    }
    len
}

fn main() {
    let mut log = Vec::new();
    log_into("hi".into(), Some(&mut log));
}
