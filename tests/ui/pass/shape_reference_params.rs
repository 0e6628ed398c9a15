// Reference parameters and lifetimes: `&str`, `&[f64]`, `&Path`, `Option<&T>`, `where`.
use fncache::cache_data;
use std::path::Path;

#[derive(serde::Serialize)]
struct User {
    name: String,
}

#[cache_data]
fn summary<'a, T>(text: &'a str, values: &[f64], path: &Path, user: Option<&'a T>) -> String
where
    T: serde::Serialize + AsRef<str> + ?Sized,
{
    let who = user.map_or("nobody", |u| u.as_ref());
    format!("{text} {} {} {who}", values.len(), path.display())
}

impl AsRef<str> for User {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

fn main() {
    let u = User { name: "ada".into() };
    let s = summary("t", &[1.0, 2.0], Path::new("/x"), Some(&u));
    assert_eq!(s, "t 2 /x ada");
    assert_eq!(summary::<User>("t", &[], Path::new("/x"), None), "t 0 /x nobody");
    summary::clear_entry("t", &[1.0, 2.0], Path::new("/x"), Some(&u));
}
