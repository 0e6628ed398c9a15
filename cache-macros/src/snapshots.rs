//! Expansion snapshots: what `cargo expand` shows for typical functions, pretty-printed and
//! locked with insta, so the generated code stays a short, readable call into the runtime.
//!
//! After a deliberate change of the expansion: `INSTA_UPDATE=always cargo test -p
//! fncache-macros snapshots`, then read every changed `.snap` file in `src/snapshots/`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attr::Attribute;
use crate::expand::expand;

/// The expansion of `#[attribute(args)] item`, as `cargo expand` would print it.
fn expanded(attribute: Attribute, args: TokenStream, item: TokenStream) -> String {
    let tokens = expand(attribute, args, item);
    let file = syn::parse2::<syn::File>(tokens).expect("the expansion parses as items");
    prettyplease::unparse(&file)
}

#[test]
fn data_three_lines() {
    let item = quote! {
        fn square(x: u64) -> u64 {
            x * x
        }
    };
    insta::assert_snapshot!(expanded(Attribute::CacheData, quote!(), item));
}

#[test]
fn resource_with_hooks_and_result() {
    let args = quote! {
        ttl = 60, max_entries = 8, validate = is_alive, on_release = |c: &Connection| c.close()
    };
    let item = quote! {
        pub fn connect(url: String) -> Result<Connection, ConnectError> {
            Connection::open(&url)
        }
    };
    insta::assert_snapshot!(expanded(Attribute::CacheResource, args, item));
}

#[test]
fn data_underscore_params_and_ttl_string() {
    let args = quote!(ttl = "1h 30m", show_spinner = "Loading...");
    let item = quote! {
        pub(crate) fn load(path: String, _retries: u32, _: &Logger) -> Vec<u8> {
            read(&path)
        }
    };
    insta::assert_snapshot!(expanded(Attribute::CacheData, args, item));
}

#[test]
fn async_fn() {
    let item = quote! {
        pub async fn lookup(user: u64) -> Result<Profile, ApiError> {
            fetch_profile(user).await
        }
    };
    insta::assert_snapshot!(expanded(Attribute::CacheData, quote!(), item));
}

#[test]
fn method() {
    let item = quote! {
        fn area(&self, scale: f64) -> f64 {
            self.width * self.height * scale
        }
    };
    insta::assert_snapshot!(expanded(Attribute::CacheData, quote!(), item));
}

#[test]
fn generic_fn() {
    let item = quote! {
        fn parse<T: FromStr + Serialize + DeserializeOwned>(text: &str) -> Option<T> {
            text.parse().ok()
        }
    };
    insta::assert_snapshot!(expanded(Attribute::CacheData, quote!(), item));
}
