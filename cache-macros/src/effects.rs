//! What a parameter's written type lets the body change for its caller: a hit skips the body,
//! so such a change would be skipped too.
//!
//! Found at any depth of the type: a `&mut` (`&mut T`, `Option<&mut T>`, `(&mut T, usize)`,
//! `impl Iterator<Item = &mut T>`). Only the written type is seen: a type alias, a macro, or a
//! struct holding a `&'a mut` inside is opaque here.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ParenthesizedGenericArguments, ReturnType, Type};
use syn::{TypeFnPtr, TypeReference};

/// A place in a parameter's type through which the body can change what its caller sees.
pub(crate) enum Effect<'a> {
    /// A `&mut` borrow (`&mut T`, `&'a mut T`), anywhere in the type.
    MutRef(&'a TypeReference),
}

impl Effect<'_> {
    /// The tokens an error underlines: `&'a mut`.
    pub(crate) fn culprit(&self) -> TokenStream {
        match self {
            Effect::MutRef(reference) => {
                let TypeReference {
                    and_token,
                    lifetime,
                    mutability,
                    ..
                } = reference;
                quote!(#and_token #lifetime #mutability)
            }
        }
    }
}

/// Every effect in `ty`, outermost first. Nothing beneath a found effect is searched: in
/// `&mut Vec<&mut u8>` the first `&mut` is the one to fix.
pub(crate) fn effects(ty: &Type) -> Vec<Effect<'_>> {
    let mut finder = Finder::default();
    finder.visit_type(ty);
    finder.found
}

#[derive(Default)]
struct Finder<'a> {
    found: Vec<Effect<'a>>,
}

impl<'a> Finder<'a> {
    /// The return type of a callable (`fn(..) -> R`, `impl Fn(..) -> R`): a value the body
    /// gets from the callable. Its `&mut`s count: `impl Fn() -> &'static mut T` hands the body
    /// a place to write.
    fn visit_produced(&mut self, output: &'a ReturnType) {
        self.visit_return_type(output);
    }
}

impl<'a> Visit<'a> for Finder<'a> {
    fn visit_type_reference(&mut self, reference: &'a TypeReference) {
        if reference.mutability.is_some() {
            self.found.push(Effect::MutRef(reference));
            return;
        }
        visit::visit_type_reference(self, reference);
    }

    // The parameters of a callable are what the body passes to it, not what the caller lends:
    // `impl Fn(&mut Vec<u8>)` and `fn(&mut T) -> bool` are fine.
    fn visit_type_fn_ptr(&mut self, fn_ptr: &'a TypeFnPtr) {
        self.visit_produced(&fn_ptr.output);
    }

    fn visit_parenthesized_generic_arguments(&mut self, args: &'a ParenthesizedGenericArguments) {
        self.visit_produced(&args.output);
    }

    // An array length, a const argument or an attribute is no part of what the parameter holds.
    fn visit_expr(&mut self, _: &'a Expr) {}

    fn visit_attribute(&mut self, _: &'a Attribute) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `effects` finds in `text`: `&mut` for a `MutRef`.
    fn found(text: &str) -> Vec<String> {
        let ty: Type = syn::parse_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        effects(&ty)
            .iter()
            .map(|effect| match effect {
                Effect::MutRef(_) => "&mut".to_owned(),
            })
            .collect()
    }

    const MUT_REFS: &[&str] = &[
        "&mut T",
        "&'a mut Vec<u8>",
        "&mut [u8]",
        "&mut str",
        "&mut dyn std::io::Write",
        "&mut impl std::io::Write",
        "Option<&mut T>",
        "(&mut T, usize)",
        "Vec<&mut T>",
        "[&mut T; 2]",
        "&[&mut T]",
        "Box<&mut T>",
        "impl Trait<&mut T>",
        "impl Iterator<Item = &'a mut u8>",
        "Box<dyn Iterator<Item = &mut u8> + '_>",
        "std::pin::Pin<&mut T>",
        "Result<&mut T, E>",
        "impl Fn() -> &'static mut T",
        "fn() -> &'static mut T",
        "<&'a mut T as IntoIterator>::IntoIter",
    ];

    /// Types the caller cannot see changed through.
    const FINE: &[&str] = &[
        "T",
        "&T",
        "&&T",
        "&'a T",
        "&[T]",
        "&str",
        "&'static str",
        "String",
        "Vec<u8>",
        "Option<&T>",
        "(&str, usize)",
        "[u8; 4]",
        "*const T",
        "Arc<Mutex<T>>",
        "Rc<RefCell<T>>",
        "Mutex<Vec<u8>>",
        "Option<Cell<u8>>",
        "AtomicUsize",
        "&dyn Fn(&mut Vec<u8>)",
        "impl FnMut(&mut T, &Cell<u8>) -> u32",
        "fn(&mut T) -> bool",
        "&fn() -> Mutex<u8>",
        "&impl Fn() -> Cell<u8>",
        "&MutexGuardian",
        "&Atomics",
        "&Atomically",
        "&Celled",
        "&dyn Cellar",
        "&impl Mutexed",
        "[u8; { let x: &mut u8 = &mut 0; 4 }]",
        "&Mutex::Guard",
    ];

    #[test]
    fn mut_refs_at_any_depth() {
        for text in MUT_REFS {
            assert_eq!(found(text), ["&mut"], "{text}");
        }
    }

    #[test]
    fn fine_types() {
        for text in FINE {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn every_culprit_once_and_nothing_beneath_one() {
        assert_eq!(found("(&mut A, &mut B)"), ["&mut", "&mut"]);
        assert_eq!(found("&mut Vec<&mut u8>"), ["&mut"]);
        assert_eq!(found("&mut RefCell<u8>"), ["&mut"]);
    }

    #[test]
    fn culprits_are_the_tokens_to_underline() {
        let culprits = |ty: &str| -> Vec<String> {
            let ty: Type = syn::parse_str(ty).unwrap();
            effects(&ty)
                .iter()
                .map(|e| e.culprit().to_string())
                .collect()
        };
        assert_eq!(culprits("Option<&'a mut Vec<u8>>"), ["& 'a mut"]);
    }

    /// A type from a `macro_rules!` `$t:ty` arrives in invisible delimiters (`Type::Group`).
    #[test]
    fn through_invisible_delimiters() {
        use proc_macro2::{Delimiter, Group, TokenTree};
        let grouped = |text: &str| -> Type {
            let inner: TokenStream = text.parse().unwrap();
            let group = TokenTree::Group(Group::new(Delimiter::None, inner));
            syn::parse2(quote!(Option<#group>)).unwrap()
        };
        assert_eq!(effects(&grouped("&mut u8")).len(), 1);
        assert_eq!(effects(&grouped("&u8")).len(), 0);
    }

    /// The wrappers a parameter's type may put around a culprit, `{}` standing for it.
    const WRAPPERS: &[&str] = &[
        "Option<{}>",
        "({}, usize)",
        "(u8, {}, String)",
        "Vec<{}>",
        "[{}; 2]",
        "Box<{}>",
        "Result<u8, {}>",
        "impl Trait<{}>",
        "impl Iterator<Item = {}>",
        "Box<dyn Iterator<Item = {}> + Send>",
        "HashMap<String, {}>",
        "std::pin::Pin<{}>",
        "({})",
    ];

    /// Every culprit is found, and only it, inside any one or two wrappers; every fine type
    /// stays fine inside them (no wrapper adds a `&`).
    #[test]
    fn culprits_stay_found_in_every_nesting() {
        let nest = |inner: &str| -> Vec<String> {
            let once: Vec<String> = WRAPPERS.iter().map(|w| w.replace("{}", inner)).collect();
            let twice = once
                .iter()
                .flat_map(|inner| WRAPPERS.iter().map(move |w| w.replace("{}", inner)));
            once.clone().into_iter().chain(twice).collect()
        };
        for culprit in MUT_REFS {
            for text in nest(culprit) {
                assert_eq!(found(&text), ["&mut"], "{text}");
            }
        }
        for fine in FINE {
            for text in nest(fine) {
                assert_eq!(found(&text), Vec::<String>::new(), "{text}");
            }
        }
    }
}
