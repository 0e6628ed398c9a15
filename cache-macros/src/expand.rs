//! Code generation: the user's function, rebuilt around a call into the runtime, and its
//! companion module.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericArgument, ItemFn, PathArguments, ReturnType, Type};

use crate::attr::{self, Attribute, Kind, Options, ShowSpinner, Ttl};
use crate::deprecate;
use crate::errors::Errors;
use crate::input::{Function, Output};
use crate::valid;

/// What to generate, once the attribute and its options are understood.
struct Plan {
    attribute: Attribute,
    kind: Kind,
    /// The deprecation text of a deprecated attribute.
    deprecation: Option<String>,
}

/// The whole expansion of a caching attribute on `item`.
///
/// On any error the original function is emitted unchanged next to the errors, so the user
/// sees their real mistakes and not a cascade of "cannot find function" after them.
pub(crate) fn expand(attribute: Attribute, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let message = format!(
                "`{}` applies to functions (`fn name(..) -> T {{ .. }}`)",
                attribute.name()
            );
            let error = syn::Error::new(attr::span_of(&item), message).to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let raw = errors.ok(attr::parse_raw(args)).unwrap_or_default();
    let options = Options::from_raw(attribute, raw, &mut errors);
    let kind = attribute.kind(&options);
    if let (Kind::Resource, Some(persist)) = (kind, options.persist) {
        errors.push(
            persist,
            "`persist` cannot be combined with `allow_output_mutation = true`: a shared, mutable resource is not serialized, so it is not persisted",
        );
    }
    valid::check_signature(attribute, &function, &mut errors);
    match errors.finish() {
        Ok(()) => {
            let output = match &function.sig.output {
                ReturnType::Default => None,
                ReturnType::Type(_, ty) => Some(&**ty),
            };
            let deprecation = deprecate::note(attribute, output);
            let plan = Plan {
                attribute,
                kind,
                deprecation,
            };
            generate(&plan, &options, &Function::new(&function))
        }
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #function)
        }
    }
}

// Input:
//     #[cache_data(ttl = 60)]
//     pub fn load(path: String, _retries: u32) -> Table { body }
// Output:
//     pub fn load(path: String, _retries: u32) -> Table {
//         load::__fncache().get(
//             || Options::new().ttl(Duration::from_nanos(60_000_000_000)),
//             KeyWriter::new().arg(&path).finish(),
//             move || -> Table { body },
//         )
//     }
//     /// Cache controls of the cached function `load`.
//     pub enum load {}
//     impl load {
//         pub fn __fncache() -> &'static DataCache {
//             static CACHE: DataCache = DataCache::new(FnId { path: "crate::mod::load", code: ".." });
//             &CACHE
//         }
//         pub fn clear() { Self::__fncache().clear() }
//         pub fn clear_entry(path: String) { Self::__fncache().clear_entry(KeyWriter::new().arg(&path).finish()) }
//     }
// (every runtime name in full as `::fncache::__private::..`)
fn generate(plan: &Plan, options: &Options, function: &Function<'_>) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = function.item;
    let name = function.name();
    let key = key_expr(function);
    let options = options_expr(options, plan.deprecation.as_deref());
    let warning = plan
        .deprecation
        .as_deref()
        .map(|note| deprecation_warning(plan.attribute, note));
    let method = get_method(function);
    let closure_output = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(arrow, ty) => Some(quote!(#arrow #ty)),
    };
    let mut outer_sig = sig.clone();
    if plan.kind == Kind::Resource {
        outer_sig.output = shared_output(&function.output);
    }
    let companion = companion(plan, function);
    quote! {
        #(#attrs)*
        #vis #outer_sig {
            #warning
            #name::__fncache().#method(#options, #key, move || #closure_output #block)
        }
        #companion
    }
}

/// `KeyWriter::new().arg(&a).arg(&b).finish()` over the hashed parameters. Each `.arg` carries
/// its parameter's type span, so a type that is not `Serialize` is reported on that type.
fn key_expr(function: &Function<'_>) -> TokenStream {
    let args = function.hashed_params().map(|param| {
        let ident = param.ident;
        quote_spanned!(param.ty.span()=> .arg(&#ident))
    });
    quote!(::fncache::__private::KeyWriter::new() #(#args)* .finish())
}

/// A use of a `#[deprecated]` item, spanned on the attribute (the macro's call site), so that
/// rustc itself prints the deprecation text as a warning that points at the attribute.
fn deprecation_warning(attribute: Attribute, note: &str) -> TokenStream {
    let name = attribute
        .name()
        .trim_start_matches("#[")
        .trim_end_matches(']');
    let item = syn::Ident::new(name, proc_macro2::Span::call_site());
    quote! {
        {
            #[deprecated(note = #note)]
            fn #item() {}
            #item();
        }
    }
}

/// `|| Options::new().ttl(..)...`, listing only the options that were given. The closure runs
/// once, on the first call, which is when a deprecated attribute's text is logged.
fn options_expr(options: &Options, deprecation: Option<&str>) -> TokenStream {
    let mut calls = TokenStream::new();
    match &options.ttl {
        Some(Ttl::Fixed(duration)) => {
            let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
            calls.extend(quote!(.ttl(::fncache::__private::Duration::from_nanos(#nanos))));
        }
        Some(Ttl::Expr(expr)) => calls.extend(quote_spanned!(expr.span()=> .ttl(#expr))),
        None => {}
    }
    if let Some(max) = &options.max_entries {
        calls.extend(quote_spanned!(max.span()=> .max_entries(#max)));
    }
    if options.persist.is_some() {
        calls.extend(quote!(.persist(true)));
    }
    match &options.show_spinner {
        Some(ShowSpinner::Off) => {
            calls.extend(quote!(.show_spinner(::fncache::__private::ShowSpinner::Off)))
        }
        Some(ShowSpinner::Text(text)) => {
            calls.extend(quote!(.show_spinner(::fncache::__private::ShowSpinner::Text(#text))))
        }
        None => {}
    }
    if let Some(show_time) = &options.show_time {
        calls.extend(quote!(.show_time(#show_time)));
    }
    if let Some(validate) = &options.validate {
        calls.extend(quote_spanned!(validate.span()=> .validate(#validate)));
    }
    if let Some(on_release) = &options.on_release {
        calls.extend(quote_spanned!(on_release.span()=> .on_release(#on_release)));
    }
    let log = deprecation
        .map(|note| quote!(::fncache::__private::log_deprecation(::core::module_path!(), #note);));
    quote!(|| { #log ::fncache::__private::Options::new() #calls })
}

/// `get` or `get_or_err`, spanned on the cached type so that a return type the cache cannot
/// hold is reported there.
fn get_method(function: &Function<'_>) -> TokenStream {
    let span = function
        .output
        .cached()
        .map_or_else(|| function.item.sig.ident.span(), |ty| ty.span());
    match function.output {
        Output::Value(_) => quote_spanned!(span=> get),
        Output::Result { .. } => quote_spanned!(span=> get_or_err),
    }
}

/// `-> Arc<T>` for `-> T`, `-> Result<Arc<T>, E>` for `-> Result<T, E>`.
fn shared_output(output: &Output<'_>) -> ReturnType {
    let arc = |ty: Option<&Type>| -> Type {
        let ty = ty.map_or_else(|| quote!(()), ToTokens::to_token_stream);
        syn::parse_quote!(::fncache::__private::Arc<#ty>)
    };
    match *output {
        Output::Value(ty) => {
            let shared = arc(ty);
            syn::parse_quote!(-> #shared)
        }
        Output::Result { whole, ok } => {
            let mut whole = whole.clone();
            if let Type::Path(path) = &mut whole
                && let Some(last) = path.path.segments.last_mut()
                && let PathArguments::AngleBracketed(args) = &mut last.arguments
                && let Some(first) = args.args.first_mut()
            {
                *first = GenericArgument::Type(arc(Some(ok)));
            }
            syn::parse_quote!(-> #whole)
        }
    }
}

/// The companion named like the function: an uninhabited enum whose associated functions are
/// `f::clear()`, `f::clear_entry(..)` and the hidden accessor of the cache's `static`.
///
/// An enum rather than a `mod`: it lives in the type namespace just the same (so it never
/// clashes with the function), but it is an item of the function's own scope, so it can name
/// everything the function can. A `mod` cannot see items declared in a block, which would
/// break functions declared inside another function (as in tests) whose types are local too.
fn companion(plan: &Plan, function: &Function<'_>) -> TokenStream {
    let name = function.name();
    let vis = &function.item.vis;
    let span = function
        .output
        .cached()
        .map_or_else(|| name.span(), |ty| ty.span());
    let cache_type = match plan.kind {
        Kind::Data => quote!(::fncache::__private::DataCache),
        Kind::Resource => {
            let cached = function
                .output
                .cached()
                .map_or_else(|| quote!(()), ToTokens::to_token_stream);
            quote_spanned!(span=> ::fncache::__private::ResourceCache<#cached>)
        }
    };
    let new_cache = quote_spanned!(span=> <#cache_type>::new);
    let path = format!("::{name}");
    let code = code_hash(function.item);
    let params = function.hashed_params().map(|p| {
        let (ident, ty) = (p.ident, p.ty);
        quote!(#ident: #ty)
    });
    let key = key_expr(function);
    // `clear()` of the renamed attributes warns too, at the call site, as Streamlit's did.
    let renamed = matches!(
        plan.attribute,
        Attribute::ExperimentalMemo | Attribute::ExperimentalSingleton
    );
    let deprecation = plan
        .deprecation
        .as_deref()
        .filter(|_| renamed)
        .map(|note| quote!(#[deprecated(note = #note)]));
    let companion_doc = format!(
        "Cache controls of the cached function [`{name}()`](fn@{name}): `{name}::clear()` and `{name}::clear_entry(..)`."
    );
    let clear_doc = format!("Drops every cached entry of `{name}`.");
    let clear_entry_doc = format!(
        "Drops the cached entry of `{name}` for these arguments (its parameters that do not start with `_`)."
    );
    quote! {
        #[doc = #companion_doc]
        #[allow(non_camel_case_types, dead_code, missing_debug_implementations, missing_copy_implementations, clippy::empty_enum)]
        #vis enum #name {}

        #[allow(dead_code)]
        impl #name {
            #[doc(hidden)]
            #[inline]
            #vis fn __fncache() -> &'static #cache_type {
                static CACHE: #cache_type = #new_cache(::fncache::__private::FnId {
                    path: ::core::concat!(::core::module_path!(), #path),
                    code: #code,
                });
                &CACHE
            }

            #[doc = #clear_doc]
            #deprecation
            #vis fn clear() {
                Self::__fncache().clear()
            }

            #[doc = #clear_entry_doc]
            #deprecation
            #vis fn clear_entry(#(#params),*) {
                Self::__fncache().clear_entry(#key)
            }
        }
    }
}

/// A digest of the function's signature and body: a new cache whenever its code changes.
fn code_hash(item: &ItemFn) -> String {
    let mut tokens_text = item.sig.to_token_stream().to_string();
    tokens_text.push('\n');
    tokens_text.push_str(&item.block.to_token_stream().to_string());
    blake3::hash(tokens_text.as_bytes()).to_hex()[..32].to_owned()
}
