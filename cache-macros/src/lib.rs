//! The attribute macros of [fncache](https://docs.rs/fncache). Use them through the `fncache`
//! crate, whose documentation describes every option; the generated code calls only
//! `::fncache::__private`.
//!
//! Each entry point parses, calls a pure `expand(kind, args, item)` and converts: the logic is
//! in `attr` (options), `input` (the typed view of the function), `valid` (the accepted
//! shapes; `effects` finds the parameters through which a skipped body would have changed
//! something) and `expand` (code generation).

mod attr;
mod deprecate;
mod duration;
mod effects;
mod errors;
mod expand;
mod input;
mod size;
#[cfg(test)]
mod snapshots;
mod valid;

use proc_macro::TokenStream;

use crate::attr::Attribute;

/// Caches a function's data: see `fncache::cache_data`.
#[proc_macro_attribute]
pub fn cache_data(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::CacheData, args.into(), item.into()).into()
}

/// Caches a function's shared resource: see `fncache::cache_resource`.
#[proc_macro_attribute]
pub fn cache_resource(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::CacheResource, args.into(), item.into()).into()
}

/// Deprecated: `#[cache_data]` under its old name. See `fncache::experimental_memo`.
#[proc_macro_attribute]
pub fn experimental_memo(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::ExperimentalMemo, args.into(), item.into()).into()
}

/// Deprecated: `#[cache_resource]` under its old name. See `fncache::experimental_singleton`.
#[proc_macro_attribute]
pub fn experimental_singleton(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::ExperimentalSingleton, args.into(), item.into()).into()
}

/// Deprecated: the old all-in-one attribute. See `fncache::cache`.
#[proc_macro_attribute]
pub fn cache(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Attribute::Cache, args.into(), item.into()).into()
}
