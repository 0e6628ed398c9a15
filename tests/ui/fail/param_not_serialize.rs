use fncache::cache_data;

struct Config {
    size: u32,
}

#[cache_data]
fn area(name: String, config: Config) -> u32 {
    name.len() as u32 * config.size
}

fn main() {
    area("a".into(), Config { size: 2 });
}
