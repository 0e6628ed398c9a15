// `#[hash_with(path)]` whose value is not `Serialize`: the error points at the attribute.
use fncache::cache_data;

struct Session {
    token: Token,
}

struct Token(u64);

impl Session {
    fn token(&self) -> &Token {
        &self.token
    }
}

#[cache_data]
fn count(#[hash_with(Session::token)] session: &Session) -> u64 {
    session.token.0
}

fn main() {
    count(&Session { token: Token(1) });
}
