// `experimental_allow_widgets` has no meaning outside Streamlit: removed.
use fncache::cache_resource;

#[cache_resource(experimental_allow_widgets = true)]
fn session(user: String) -> String {
    user
}

fn main() {
    let _ = session("u".into());
}
