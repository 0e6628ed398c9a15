//! The shapes of function the attributes accept; every other shape is a spanned error.

use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReceiverKind, Type};

use crate::attr::{Attribute, Kind, Options};
use crate::effects::{Effect, effects};
use crate::errors::Errors;
use crate::input::Function;

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
    if let Some(abi) = &sig.abi {
        errors.push_spanned(
            abi,
            format!("`{attr}` cannot cache an `extern` function: remove the ABI, or wrap a cached Rust function"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(
            variadic.span(),
            format!("`{attr}` cannot cache a variadic function"),
        );
    }
    for arg in &sig.inputs {
        if let FnArg::Receiver(receiver) = arg {
            let mut_ref = match &receiver.kind {
                ReceiverKind::Reference(_, _, mutability) => mutability.is_some(),
                // `self: &mut Self`, `self: Pin<&mut Self>`
                ReceiverKind::Typed(_, ty) => effects(ty)
                    .iter()
                    .any(|effect| matches!(effect, Effect::MutRef(_))),
                _ => false,
            };
            if mut_ref {
                errors.push_spanned(
                    receiver,
                    format!("`{attr}` cannot cache a `&mut self` method: a cached call may not run, so it must not be how `self` changes; take `&self`"),
                );
            }
        }
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output
        && let Type::ImplTrait(impl_trait) = &**ty
    {
        errors.push_spanned(
            impl_trait,
            format!("`{attr}` needs a concrete return type to store, not `impl Trait`"),
        );
    }
}

/// Checks that no parameter lets the body change something for its caller: a hit skips the
/// body, so the change would be skipped too, and the caller would see a wrong result.
///
/// A `&mut` is refused in every parameter, hashed or not. A shared reference to interior
/// mutability (`&Mutex<T>`) is refused where its whole value would be the key; a parameter left
/// out of the key (`_pool: &Mutex<Pool>`) or keyed by `#[hash_with]` declares what the result
/// depends on, and is accepted.
pub(crate) fn check_params(attribute: Attribute, function: &Function<'_>, errors: &mut Errors) {
    let attr = attribute.name();
    for param in &function.params {
        let keyed_by_value = param.hashed && param.hash_with.is_none();
        for effect in effects(param.ty) {
            match effect {
                Effect::MutRef(_) => errors.push_spanned(
                    effect.culprit(),
                    format!("`{attr}` cannot take a `&mut` parameter: on a hit the function does not run, so what it writes through `&mut` would be skipped; return the data instead (as part of the return value), or take it by value or by `&`"),
                ),
                Effect::InteriorMut(segment) if keyed_by_value => {
                    let (name, text) = (&segment.ident, effect.text());
                    errors.push_spanned(
                        effect.culprit(),
                        format!("`{attr}` cannot hash `{text}`: a hit skips the body, so what it changes through the `{name}` would be skipped, and what the `{name}` holds can change between taking the key and running the body; pass the data itself (`&T`), or prefix the parameter's name with `_` if it does not change the result"),
                    );
                }
                Effect::InteriorMut(_) => {}
            }
        }
    }
}

/// Checks the options that depend on the function's shape.
pub(crate) fn check_options(
    options: &Options,
    function: &Function<'_>,
    kind: Kind,
    errors: &mut Errors,
) {
    if let Some((_, span)) = &options.version
        && options.persist.is_none()
    {
        errors.push(
            *span,
            "`version` names what persisted entries belong to, and this function does not persist: add `persist = true`, or remove `version`",
        );
    }
    if let (Some((_, span)), None, Kind::Resource) = (&options.max_size, &options.weigh, kind) {
        errors.push(
            *span,
            "`max_size` on `#[cache_resource]` needs to know what a value weighs: add `weigh = path` (an `Fn(&T) -> usize` that returns the value's size in bytes), or bound the cache with `max_entries`",
        );
    }
    if let Some(flag) = &options.hash_self
        && function.receiver.is_none()
    {
        errors.push(
            flag.span(),
            "`hash_self` applies to methods (functions with a `self` parameter)",
        );
    }
}
