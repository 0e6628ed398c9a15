//! A typed view of the annotated function: its parameters and what it returns.

use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// One parameter of the function.
pub(crate) struct Param<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
}

impl Param<'_> {
    /// Whether the parameter goes into the key: every one whose name does not start with `_`.
    pub(crate) fn is_hashed(&self) -> bool {
        !self
            .ident
            .to_string()
            .trim_start_matches("r#")
            .starts_with('_')
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
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Output<'a>,
}

impl<'a> Function<'a> {
    /// The view of `item`; parameters that are not plain names are left out (the validation
    /// reports them).
    pub(crate) fn new(item: &'a ItemFn) -> Self {
        let params = item
            .sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(pat) => Some(Param {
                        ident: &pat.ident,
                        ty: &typed.ty,
                    }),
                    _ => None,
                },
                FnArg::Receiver(_) => None,
            })
            .collect();
        Function {
            item,
            params,
            output: Output::of(&item.sig.output),
        }
    }

    pub(crate) fn name(&self) -> &'a Ident {
        &self.item.sig.ident
    }

    pub(crate) fn hashed_params(&self) -> impl Iterator<Item = &Param<'a>> {
        self.params.iter().filter(|p| p.is_hashed())
    }
}
