//! The attribute macros of [fncache](https://docs.rs/fncache). Use them through the `fncache`
//! crate, whose documentation describes every option; the generated code calls only
//! `::fncache::__private`.
//!
//! Each entry point parses, calls a pure `expand(kind, args, item)` and converts: the logic is
//! in [`attr`] (options), [`input`] (the typed view of the function), [`valid`] (the accepted
//! shapes) and [`expand`] (code generation).

mod attr;
mod duration;
mod errors;
mod expand;
mod input;
mod valid;

use proc_macro::TokenStream;

use crate::attr::Kind;

/// Caches a function's data: see `fncache::cache_data`.
#[proc_macro_attribute]
pub fn cache_data(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Data, args.into(), item.into()).into()
}

/// Caches a function's shared resource: see `fncache::cache_resource`.
#[proc_macro_attribute]
pub fn cache_resource(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Resource, args.into(), item.into()).into()
}
