//! The shapes of function the attributes accept; every other shape is a spanned error.

use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, Type};

use crate::attr::Attribute;
use crate::errors::Errors;

/// Checks the function's signature, recording every problem.
pub(crate) fn check_signature(attribute: Attribute, item: &ItemFn, errors: &mut Errors) {
    let attr = attribute.name();
    let sig = &item.sig;
    if let Some(constness) = &sig.constness {
        errors.push(
            constness.span(),
            format!("`{attr}` cannot cache a `const fn`: a cache lives at run time"),
        );
    }
    if let Some(asyncness) = &sig.asyncness {
        errors.push(
            asyncness.span(),
            format!("`{attr}` does not support `async fn` yet"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.push(abi.span(), format!("`{attr}` cannot cache an `extern` function: remove the ABI, or wrap a cached Rust function"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(
            variadic.span(),
            format!("`{attr}` cannot cache a variadic function"),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.push(
            sig.generics.params.span(),
            format!("`{attr}` does not support generic functions yet"),
        );
    }
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(receiver) => {
                errors.push(receiver.span(), format!("`{attr}` does not support methods yet: cache a free function that takes the receiver's data"));
            }
            FnArg::Typed(typed) => {
                match &*typed.pat {
                    Pat::Ident(pat) if pat.subpat.is_none() && pat.by_ref.is_none() => {}
                    other => errors.push(other.span(), format!("`{attr}` needs a plain name for each parameter (`name: Type`), not a pattern")),
                }
                if let Type::ImplTrait(impl_trait) = &*typed.ty {
                    errors.push(impl_trait.span(), format!("`{attr}` does not support `impl Trait` parameters yet: name a concrete type"));
                }
            }
        }
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output
        && let Type::ImplTrait(impl_trait) = &**ty
    {
        errors.push(
            impl_trait.span(),
            format!("`{attr}` needs a concrete return type to store, not `impl Trait`"),
        );
    }
}
