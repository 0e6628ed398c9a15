//! A typed view of the annotated function: its receiver, parameters and what it returns.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident};
use syn::{
    Attribute, Expr, FnArg, GenericArgument, GenericParam, Ident, ItemFn, Pat, PathArguments,
    Receiver, ReturnType, Type,
};

use crate::errors::Errors;

/// One typed parameter of the function.
pub(crate) struct Param<'a> {
    /// The name the generated code uses: the user's, or a hidden one for a pattern.
    pub(crate) ident: Ident,
    /// The user's pattern, when the parameter is not a plain name (`(a, b): (u32, u32)`).
    pub(crate) pattern: Option<&'a Pat>,
    pub(crate) ty: &'a Type,
    /// `#[cfg(..)]` and `#[cfg_attr(..)]` on the parameter, repeated wherever it is used.
    pub(crate) cfgs: Vec<&'a Attribute>,
    /// `#[hash_with(path)]`: the key holds `path(&param)` instead of the parameter.
    pub(crate) hash_with: Option<Expr>,
    /// Whether the parameter goes into the key: every one whose name does not start with `_`.
    pub(crate) hashed: bool,
}

impl Param<'_> {
    /// Whether the type is written as a primitive number, `bool` or `char` (`u64`, not
    /// `&u64`): keyed by its bytes alone (`KeyWriter::arg_primitive`).
    pub(crate) fn is_primitive(&self) -> bool {
        const PRIMITIVES: [&str; 16] = [
            "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
            "f32", "f64", "bool", "char",
        ];
        match self.ty {
            Type::Path(path) if path.qself.is_none() => path
                .path
                .get_ident()
                .is_some_and(|ident| PRIMITIVES.iter().any(|p| ident == p)),
            _ => false,
        }
    }

    /// Whether the type is written as one of the std types whose serde impl leaves state out
    /// (`SocketAddrV6`, `SocketAddr`, `RangeInclusive<..>`, or a reference to one): keyed with
    /// that state too (`KeyWriter::arg_std`).
    pub(crate) fn is_lossy_std(&self) -> bool {
        let mut ty = self.ty;
        while let Type::Reference(reference) = ty {
            ty = &reference.elem;
        }
        match ty {
            Type::Path(path) if path.qself.is_none() => {
                path.path.segments.last().is_some_and(|last| {
                    ["SocketAddrV6", "SocketAddr", "RangeInclusive"]
                        .iter()
                        .any(|n| last.ident == n)
                })
            }
            _ => false,
        }
    }

    /// Whether the type has an `impl Trait` anywhere in it (`impl Display`, `&impl Display`,
    /// `Vec<impl Trait>`): a hidden type parameter, whose concrete type must go into the key.
    pub(crate) fn has_impl_trait(&self) -> bool {
        mentions_impl(self.ty.to_token_stream())
    }
}

/// What the function returns.
pub(crate) enum Output<'a> {
    /// `-> T`, or nothing (`()`).
    Value(Option<&'a Type>),
    /// `-> Result<T, E>` (any type whose last path segment is `Result`): only `Ok` is cached.
    Result { whole: &'a Type, ok: &'a Type },
}

impl<'a> Output<'a> {
    fn of(output: &'a ReturnType) -> Self {
        let ReturnType::Type(_, ty) = output else {
            return Output::Value(None);
        };
        match ok_type(ty) {
            Some(ok) => Output::Result { whole: ty, ok },
            None => Output::Value(Some(ty)),
        }
    }

    /// The type that is cached: `T` of `Result<T, E>`, else the whole return type.
    pub(crate) fn cached(&self) -> Option<&'a Type> {
        match *self {
            Output::Value(ty) => ty,
            Output::Result { ok, .. } => Some(ok),
        }
    }
}

/// `T` if `ty` is `Result<T, ..>`, `io::Result<T>` or the like.
fn ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ok) => Some(ok),
        _ => None,
    }
}

/// The function, as far as the expansion needs to know it.
pub(crate) struct Function<'a> {
    pub(crate) item: &'a ItemFn,
    pub(crate) receiver: Option<&'a Receiver>,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Output<'a>,
    /// Whether the function is an associated function of an `impl` block: it has a receiver
    /// or mentions `Self`. Its cache then lives inside its body (an `impl` cannot hold the
    /// companion type).
    pub(crate) in_impl: bool,
}

impl<'a> Function<'a> {
    /// The view of `item`; problems with `#[hash_with]` are recorded in `errors`.
    pub(crate) fn new(item: &'a ItemFn, errors: &mut Errors) -> Self {
        let mut receiver = None;
        let mut params = Vec::new();
        for (index, arg) in item.sig.inputs.iter().enumerate() {
            match arg {
                FnArg::Receiver(r) => receiver = Some(r),
                FnArg::Typed(typed) => {
                    let (ident, pattern, hashed) = match &*typed.pat {
                        Pat::Ident(pat) if pat.subpat.is_none() => {
                            let name = pat.ident.to_string();
                            let hashed = !name.trim_start_matches("r#").starts_with('_');
                            (pat.ident.clone(), None, hashed)
                        }
                        Pat::Wild(_) => (hidden_arg(index), Some(&*typed.pat), false),
                        other => (hidden_arg(index), Some(other), true),
                    };
                    let cfgs = typed
                        .attrs
                        .iter()
                        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
                        .collect();
                    let hash_with = hash_with(&typed.attrs, errors);
                    params.push(Param {
                        ident,
                        pattern,
                        ty: &typed.ty,
                        cfgs,
                        hashed: hashed || hash_with.is_some(),
                        hash_with,
                    });
                }
            }
        }
        let in_impl = receiver.is_some()
            || mentions_self(item.sig.to_token_stream())
            || mentions_self(item.block.to_token_stream());
        Function {
            item,
            receiver,
            params,
            output: Output::of(&item.sig.output),
            in_impl,
        }
    }

    pub(crate) fn name(&self) -> &'a Ident {
        &self.item.sig.ident
    }

    pub(crate) fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }

    pub(crate) fn hashed_params(&self) -> impl Iterator<Item = &Param<'a>> {
        self.params.iter().filter(|p| p.hashed)
    }

    /// The generic type parameters, whose concrete types go into the key.
    pub(crate) fn type_params(&self) -> impl Iterator<Item = &'a Ident> {
        self.item
            .sig
            .generics
            .params
            .iter()
            .filter_map(|p| match p {
                GenericParam::Type(t) => Some(&t.ident),
                _ => None,
            })
    }

    /// The const generic parameters, whose values go into the key.
    pub(crate) fn const_params(&self) -> impl Iterator<Item = &'a Ident> {
        self.item
            .sig
            .generics
            .params
            .iter()
            .filter_map(|p| match p {
                GenericParam::Const(c) => Some(&c.ident),
                _ => None,
            })
    }
}

/// The hidden name of the parameter at `index` that is a pattern.
fn hidden_arg(index: usize) -> Ident {
    format_ident!("__fncache_arg{}", index, span = Span::mixed_site())
}

/// The `path` of a `#[hash_with(path)]` among `attrs`.
fn hash_with(attrs: &[Attribute], errors: &mut Errors) -> Option<Expr> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("hash_with")) {
        if found.is_some() {
            errors.push_spanned(attr, "duplicate `#[hash_with]` on one parameter");
            continue;
        }
        match attr.parse_args::<Expr>() {
            Ok(path) => found = Some(path),
            Err(_) => errors.push_spanned(
                attr,
                "expected `#[hash_with(path)]`, where `path` is a function `fn(&T) -> impl Serialize` (`#[hash_with(Session::id)]`)",
            ),
        }
    }
    found
}

/// Whether `tokens` hold the keyword `impl` (in a type: an `impl Trait`, at any depth).
pub(crate) fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

/// Whether `tokens` use `Self`.
fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "Self",
        TokenTree::Group(group) => mentions_self(group.stream()),
        _ => false,
    })
}
