//! Code generation: the user's function, rebuilt around a call into the runtime, and its
//! companion (or, for a method, a `static` in its body).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

use crate::attr::{self, Attribute, Kind, Options, ShowSpinner, Ttl};
use crate::deprecate;
use crate::errors::Errors;
use crate::input::{Function, Output};
use crate::valid;

/// The function as written, less the `#[hash_with]` attributes that only this macro knows:
/// what is emitted beside errors, so they do not add "cannot find attribute" to the list.
fn without_hash_with(mut function: ItemFn) -> ItemFn {
    for arg in function.sig.inputs.iter_mut() {
        if let FnArg::Typed(typed) = arg {
            typed.attrs.retain(|a| !a.path().is_ident("hash_with"));
        }
    }
    function
}

/// What to generate, once the attribute and its options are understood.
struct Plan {
    attribute: Attribute,
    kind: Kind,
    /// The deprecation text of a deprecated attribute.
    deprecation: Option<String>,
    /// The `version = ..` of a persisted function.
    version: Option<String>,
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
            "`#[cache]` cannot combine `persist` with `allow_output_mutation = true`: a shared, mutable resource is not serialized, so it is not persisted; remove `persist`, or remove `allow_output_mutation` to cache serializable data on disk (better: `#[cache_data(persist = \"disk\")]`)",
        );
    }
    valid::check_signature(attribute, &function, &mut errors);
    let mut view = Function::new(&function, &mut errors);
    view.in_impl |= options.associated.as_ref().is_some_and(|flag| flag.value);
    valid::check_params(attribute, &view, &mut errors);
    valid::check_options(&options, &view, kind, &mut errors);
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
                version: options.version.as_ref().map(|(text, _)| text.clone()),
            };
            generate(&plan, &options, &view)
        }
        Err(error) => {
            let error = error.to_compile_error();
            let function = without_hash_with(function);
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
//
// A method (or any function that mentions `Self`) keeps its cache in a `static` inside its
// body instead, since an `impl` block cannot hold the companion; `Self` is part of its key, and
// `fncache::cache_of(Type::method)` is its handle. An `async fn` awaits `get_async`.
fn generate(plan: &Plan, options: &Options, function: &Function<'_>) -> TokenStream {
    let ItemFn { attrs, vis, .. } = function.item;
    let warning = plan
        .deprecation
        .as_deref()
        .map(|note| deprecation_warning(plan.attribute, note));
    let outer_sig = outer_signature(plan, function);
    let (cache, static_item, companion) = if function.in_impl {
        let cache = quote!(__FNCACHE);
        let static_item = cache_static(plan, function, &cache);
        (cache, Some(static_item), None)
    } else {
        let name = function.name();
        (
            quote!(#name::__fncache()),
            None,
            Some(companion(plan, function)),
        )
    };
    let call = call_expr(plan, options, function, &cache);
    quote! {
        #(#attrs)*
        #vis #outer_sig {
            #warning
            #static_item
            #call
        }
        #companion
    }
}

/// The signature the caller sees: patterns replaced by hidden names, `#[hash_with]` removed,
/// and for a resource `-> T` made `-> Arc<T>`.
fn outer_signature(plan: &Plan, function: &Function<'_>) -> syn::Signature {
    let mut sig = function.item.sig.clone();
    let mut params = function.params.iter();
    for arg in sig.inputs.iter_mut() {
        let FnArg::Typed(typed) = arg else { continue };
        let param = params.next().expect("one `Param` per typed argument");
        typed.attrs.retain(|a| !a.path().is_ident("hash_with"));
        if param.pattern.is_some() {
            let ident = &param.ident;
            *typed.pat = syn::parse_quote!(#ident);
        }
    }
    if plan.kind == Kind::Resource {
        sig.output = shared_output(&function.output);
    }
    sig
}

/// `static __FNCACHE: DataCache = ..;` for a function whose cache lives in its body.
fn cache_static(plan: &Plan, function: &Function<'_>, cache: &TokenStream) -> TokenStream {
    let (cache_type, new_cache) = cache_type(plan, function);
    let id = fn_id(plan, function);
    let method = function.name().to_string();
    // Registered under each `Self` that calls it (a trait's default method is shared by every
    // implementor), so that `cache_of(Type::method)` finds it; a repeat costs one load.
    let instance = instance_marker();
    // The marker is a closure: its type carries every generic parameter around the method,
    // also those of a trait or `impl` that the attribute cannot see (see `key_expr`).
    quote! {
        static #cache: #cache_type = #new_cache(#id);
        static __FNCACHE_SELF: ::fncache::__private::MethodName = ::fncache::__private::MethodName::new(#method);
        let #instance = || {};
        __FNCACHE_SELF.register::<Self, _>(&#cache, &#instance);
    }
}

/// The cache's type and its constructor, spanned on the cached type so that a resource type
/// that cannot be shared is reported there.
fn cache_type(plan: &Plan, function: &Function<'_>) -> (TokenStream, TokenStream) {
    let span = function
        .output
        .cached()
        .map_or_else(|| function.name().span(), |ty| ty.span());
    let cache_type = match plan.kind {
        Kind::Data => quote!(::fncache::__private::DataCache),
        Kind::Resource => quote!(::fncache::__private::ResourceCache),
    };
    let new_cache = quote_spanned!(span=> #cache_type::new);
    (cache_type, new_cache)
}

/// `FnId { .. }`: the function's path, a digest of its code, its site (`file!()`, `line!()`
/// and `column!()` spanned on its name, so they say where the function is written), its
/// package, and its `version = ..`.
fn fn_id(plan: &Plan, function: &Function<'_>) -> TokenStream {
    let path = format!("::{}", function.name());
    let code = code_hash(function.item);
    let span = function.name().span();
    let site = quote_spanned!(span=> ::core::concat!(::core::file!(), ":", ::core::line!(), ":", ::core::column!()));
    let version = match &plan.version {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::fncache::__private::FnId {
            path: ::core::concat!(::core::module_path!(), #path),
            code: #code,
            site: #site,
            package: ::core::concat!(::core::env!("CARGO_PKG_NAME"), " ", ::core::env!("CARGO_PKG_VERSION")),
            version: #version,
        }
    }
}

/// `cache.get(options, key, move || -> T { body })`, or its `Result`, resource and async forms.
fn call_expr(
    plan: &Plan,
    options: &Options,
    function: &Function<'_>,
    cache: &TokenStream,
) -> TokenStream {
    let options_closure = options_expr(options, plan.deprecation.as_deref(), function);
    let hooks = (plan.kind == Kind::Resource).then(|| hooks_expr(options, function));
    let exact = (plan.kind == Kind::Data).then(|| exact_expr(function));
    let key = key_expr(function, options);
    let method = get_method(function);
    let output = match &function.item.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(arrow, ty) => Some(quote!(#arrow #ty)),
    };
    let compute = compute_closure(function, output);
    let call = quote!(#cache.#method(#options_closure, #hooks #exact #key, #compute));
    if function.is_async() {
        quote!(#call.await)
    } else {
        call
    }
}

/// The closure that runs the user's block: `move || -> T { body }` (`async move ||` for an
/// `async fn`). Parameters given as patterns are bound by an inner closure whose parameters
/// are those patterns, so the user's block stays a closure body: wrapping it in another block
/// would make rustc's `unused_braces` flag a one-line body.
fn compute_closure(function: &Function<'_>, output: Option<TokenStream>) -> TokenStream {
    let block = &function.item.block;
    let asyncness = function.is_async().then(|| quote!(async));
    let patterns: Vec<_> = function
        .params
        .iter()
        .filter(|p| p.pattern.is_some())
        .collect();
    if patterns.is_empty() {
        return quote!(#asyncness move || #output #block);
    }
    if patterns.iter().any(|p| !p.cfgs.is_empty()) {
        // `#[cfg]` cannot go on a tuple's element: bind with `let`s instead.
        let bindings = patterns.iter().map(|p| {
            let (pattern, ident, cfgs) = (p.pattern, &p.ident, &p.cfgs);
            quote!(#(#cfgs)* let #pattern = #ident;)
        });
        return quote!(#asyncness move || #output { #(#bindings)* #block });
    }
    let idents = patterns.iter().map(|p| &p.ident);
    let pats = patterns.iter().map(|p| p.pattern);
    if function.is_async() {
        quote!(async move || ::fncache::__private::bind_async((#(#idents,)*), async move |(#(#pats,)*)| #output #block).await)
    } else {
        quote!(move || ::fncache::__private::bind((#(#idents,)*), |(#(#pats,)*)| #output #block))
    }
}

/// `Hooks::<T>::new().validate(..).on_release(..).weigh(..)` for a resource.
fn hooks_expr(options: &Options, function: &Function<'_>) -> TokenStream {
    let value = function
        .output
        .cached()
        .map_or_else(|| quote!(()), ToTokens::to_token_stream);
    let mut calls = TokenStream::new();
    if let Some(validate) = &options.validate {
        calls.extend(quote_spanned!(validate.span()=> .validate(#validate)));
    }
    if let Some(on_release) = &options.on_release {
        calls.extend(quote_spanned!(on_release.span()=> .on_release(#on_release)));
    }
    if let Some(weigh) = &options.weigh {
        calls.extend(quote_spanned!(weigh.span()=> .weigh(#weigh)));
    }
    let span = function
        .output
        .cached()
        .map_or_else(|| function.name().span(), |ty| ty.span());
    quote_spanned!(span=> ::fncache::__private::Hooks::<#value>::new() #calls,)
}

/// How a data function's hits are checked against what it computed: `==` where its type is
/// `PartialEq`, found by method lookup on a probe (`&Probe<T>` has `ByEq::exact` only if
/// `T: PartialEq`; `&&Probe<T>` always has `BySerialization::exact`).
fn exact_expr(function: &Function<'_>) -> TokenStream {
    let Some(ty) = function
        .output
        .cached()
        .filter(|ty| !crate::input::mentions_impl(ty.to_token_stream()))
    else {
        return quote!(::fncache::__private::Exact::by_serialization(),);
    };
    quote_spanned! {ty.span()=>
        {
            #[allow(unused_imports)]
            use ::fncache::__private::{ByEq as _, BySerialization as _};
            (&::fncache::__private::Probe::<#ty>::new()).exact()
        },
    }
}

/// The name of a method's instance marker (see `cache_static`).
fn instance_marker() -> syn::Ident {
    syn::Ident::new("__fncache_instance", proc_macro2::Span::mixed_site())
}

/// The key of a call, in this order: for a method, `Self` and the method's instance (which
/// holds every generic parameter around it: the method's own, its `impl`'s and its trait's);
/// for a free function, its generic type and const arguments and the concrete types of
/// `impl Trait` in unhashed parameters; then the receiver (unless `hash_self = false`), then
/// each hashed parameter (a method's as one tuple, the shape its `CacheHandle::clear_entry` is
/// given). Each step carries its parameter's type span, so a type that is not `Serialize` is
/// reported there.
fn key_expr(function: &Function<'_>, options: &Options) -> TokenStream {
    let mut steps: Vec<TokenStream> = Vec::new();
    let mut cfg_steps = Vec::new();
    if function.in_impl {
        let instance = instance_marker();
        steps.push(quote!(.ty::<Self>().instance(&#instance)));
    } else {
        for ty in function.type_params() {
            steps.push(quote!(.ty::<#ty>()));
        }
        for value in function.const_params() {
            steps.push(quote!(.arg(&#value)));
        }
        for param in function
            .params
            .iter()
            .filter(|p| !p.hashed && p.has_impl_trait())
        {
            let ident = &param.ident;
            let step = quote_spanned!(param.ty.span()=> .ty_of(&#ident));
            if param.cfgs.is_empty() {
                steps.push(step);
            } else {
                cfg_steps.push((param.cfgs.clone(), step));
            }
        }
    }
    let hash_self = options.hash_self.as_ref().is_none_or(|flag| flag.value);
    if let Some(receiver) = function.receiver.filter(|_| hash_self) {
        let token = &receiver.self_token;
        steps.push(quote_spanned!(receiver.span()=> .receiver(&#token)));
    }
    let as_tuple = function.in_impl;
    let any_hashed = function.hashed_params().next().is_some();
    if as_tuple && !any_hashed {
        steps.push(quote!(.arg(&())));
    } else if as_tuple {
        steps.push(quote!(.tuple()));
    }
    for param in function.hashed_params() {
        // Resolved as the parameter, reported at its type: a type that is not `Serialize` is
        // underlined alone.
        let mut ident = param.ident.clone();
        ident.set_span(ident.span().located_at(param.ty.span()));
        let step = match &param.hash_with {
            Some(path) => quote_spanned!(path.span()=> .hashed_with(&(#path)(&#ident))),
            None if param.has_impl_trait() && !function.in_impl => {
                quote_spanned!(param.ty.span()=> .arg_typed(&#ident))
            }
            // A method's parameters go in as the tuple its handle is given: tagged.
            None if param.is_primitive() && !function.in_impl => {
                quote_spanned!(param.ty.span()=> .arg_primitive(&#ident))
            }
            None if param.is_lossy_std() && !function.in_impl => {
                quote_spanned!(param.ty.span()=> .arg_std(&#ident))
            }
            None => quote_spanned!(param.ty.span()=> .arg(&#ident)),
        };
        if param.cfgs.is_empty() {
            steps.push(step);
        } else {
            cfg_steps.push((param.cfgs.clone(), step));
        }
    }
    let close = (as_tuple && any_hashed).then(|| quote!(.end()));
    if cfg_steps.is_empty() {
        return quote!(::fncache::__private::KeyWriter::new() #(#steps)* #close .finish());
    }
    // A parameter under `#[cfg]` cannot be a link of one method chain: use statements.
    let key = syn::Ident::new("__fncache_key", proc_macro2::Span::mixed_site());
    let cfg_statements = cfg_steps
        .iter()
        .map(|(cfgs, step)| quote!(#(#cfgs)* let #key = #key #step;));
    quote!({
        let #key = ::fncache::__private::KeyWriter::new() #(#steps)*;
        #(#cfg_statements)*
        #key #close .finish()
    })
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
fn options_expr(
    options: &Options,
    deprecation: Option<&str>,
    function: &Function<'_>,
) -> TokenStream {
    let path = format!("::{}", function.name());
    let mut calls = TokenStream::new();
    match &options.ttl {
        Some(Ttl::Fixed(duration)) if duration.subsec_nanos() == 0 => {
            let secs = duration.as_secs();
            calls.extend(quote!(.ttl(::fncache::__private::Duration::from_secs(#secs))));
        }
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
    if let Some((bytes, _)) = &options.max_size {
        calls.extend(quote!(.max_size(#bytes)));
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
    let log = deprecation
        .map(|note| quote!(::fncache::__private::log_deprecation(::core::concat!(::core::module_path!(), #path), #note);));
    let options = quote!(::fncache::__private::Options::new() #calls);
    if log.is_none() {
        return quote!(|| #options);
    }
    quote!(|| { #log #options })
}

/// `get` or `get_or_err`, spanned on the cached type so that a return type the cache cannot
/// hold is reported there.
fn get_method(function: &Function<'_>) -> TokenStream {
    let span = function
        .output
        .cached()
        .map_or_else(|| function.item.sig.ident.span(), |ty| ty.span());
    let name = match (&function.output, function.is_async()) {
        (Output::Value(_), false) => "get",
        (Output::Result { .. }, false) => "get_or_err",
        (Output::Value(_), true) => "get_async",
        (Output::Result { .. }, true) => "get_or_err_async",
    };
    let ident = syn::Ident::new(name, span);
    quote!(#ident)
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
    let (cache_type, new_cache) = cache_type(plan, function);
    let id = fn_id(plan, function);
    let generics = &function.item.sig.generics;
    let where_clause = &generics.where_clause;
    // An unhashed `impl Trait` parameter is kept too: its value's type is in the key.
    let params = function
        .params
        .iter()
        .filter(|p| p.hashed || p.has_impl_trait())
        .map(|p| {
            let (ident, ty, cfgs) = (&p.ident, p.ty, &p.cfgs);
            quote!(#(#cfgs)* #ident: #ty)
        });
    let no_options = Options::default();
    let key = key_expr(function, &no_options);
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
        " Cache controls of the cached function [`{name}()`](fn@{name}): `{name}::clear()` and `{name}::clear_entry(..)`."
    );
    let clear_doc = format!(" Drops every cached entry of `{name}`.");
    let typed_only = function
        .params
        .iter()
        .any(|p| !p.hashed && p.has_impl_trait());
    let also = if typed_only {
        ", and those with an `impl Trait`, whose type is in the key"
    } else {
        ""
    };
    let clear_entry_doc = format!(
        " Drops the cached entry of `{name}` for these arguments (its parameters that do not start with `_`{also})."
    );
    quote! {
        #[doc = #companion_doc]
        #[allow(non_camel_case_types, dead_code, missing_debug_implementations, missing_copy_implementations)]
        #vis enum #name {}

        #[allow(dead_code)]
        impl #name {
            #[doc(hidden)]
            #[inline]
            #vis fn __fncache() -> &'static #cache_type {
                static CACHE: #cache_type = #new_cache(#id);
                &CACHE
            }

            #[doc = #clear_doc]
            #deprecation
            #vis fn clear() {
                Self::__fncache().clear()
            }

            #[doc = #clear_entry_doc]
            #deprecation
            #vis fn clear_entry #generics (#(#params),*) #where_clause {
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
