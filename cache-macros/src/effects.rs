//! What a parameter's written type lets the body change for its caller: a hit skips the body,
//! so such a change would be skipped too.
//!
//! Two things are found, at any depth of the type: a `&mut` (`&mut T`, `Option<&mut T>`,
//! `(&mut T, usize)`, `impl Iterator<Item = &mut T>`), and a well-known interior-mutability type
//! behind a shared reference (`&RefCell<T>`, `&[Cell<u8>]`, `Option<&std::sync::Mutex<T>>`).
//! An owned `Arc<Mutex<T>>` is not found: it is a value whose contents are hashed into the key
//! like any other (see the crate docs for that choice). Only the written type is seen: a type
//! alias, a macro, or a struct holding a `&'a mut` inside is opaque here.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, Ident, ParenthesizedGenericArguments, PathSegment, ReturnType, Type};
use syn::{TypeFnPtr, TypePath, TypeReference};

/// The last path segments that name a well-known interior-mutability type, whatever the
/// path before them (`std::sync::Mutex`, `parking_lot::Mutex`, `tokio::sync::Mutex`), besides
/// every `Atomic*` (see [`is_interior_mutable`]).
const INTERIOR_MUTABLE: &[&str] = &[
    "Cell",
    "RefCell",
    "UnsafeCell",
    "SyncUnsafeCell",
    "OnceCell",
    "Mutex",
    "ReentrantMutex",
    "RwLock",
    "OnceLock",
];

/// A place in a parameter's type through which the body can change what its caller sees.
pub(crate) enum Effect<'a> {
    /// A `&mut` borrow (`&mut T`, `&'a mut T`), anywhere in the type.
    MutRef(&'a TypeReference),
    /// A well-known interior-mutability type behind a shared reference, by its last path
    /// segment: the `RefCell<T>` of `&std::cell::RefCell<T>`.
    InteriorMut(&'a PathSegment),
}

impl Effect<'_> {
    /// The tokens an error underlines: `&'a mut`, or the `RefCell` of `&std::cell::RefCell<T>`.
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
            Effect::InteriorMut(segment) => segment.ident.to_token_stream(),
        }
    }

    /// How a message names the culprit: `&mut`, `&RefCell<..>`, `&AtomicUsize`.
    pub(crate) fn text(&self) -> String {
        match self {
            Effect::MutRef(_) => "&mut".to_owned(),
            Effect::InteriorMut(segment) if segment.arguments.is_none() => {
                format!("&{}", segment.ident)
            }
            Effect::InteriorMut(segment) => format!("&{}<..>", segment.ident),
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

/// Whether `name` is the last segment of a well-known interior-mutability type:
/// [`INTERIOR_MUTABLE`], `Atomic` and `Atomic` followed by a capital (`AtomicUsize`, `AtomicBool`).
fn is_interior_mutable(name: &Ident) -> bool {
    let name = name.to_string();
    let atomic = name
        .strip_prefix("Atomic")
        .is_some_and(|rest| rest.chars().next().is_none_or(|c| c.is_ascii_uppercase()));
    atomic || INTERIOR_MUTABLE.contains(&name.as_str())
}

#[derive(Default)]
struct Finder<'a> {
    /// How many shared references enclose the type being visited.
    shared_refs: usize,
    found: Vec<Effect<'a>>,
}

impl<'a> Finder<'a> {
    /// The return type of a callable (`fn(..) -> R`, `impl Fn(..) -> R`): a value the body
    /// gets from the callable, not one the caller lends, so the references around the
    /// callable do not reach it. Its `&mut`s still count: `impl Fn() -> &'static mut T` hands
    /// the body a place to write.
    fn visit_produced(&mut self, output: &'a ReturnType) {
        let around = std::mem::take(&mut self.shared_refs);
        self.visit_return_type(output);
        self.shared_refs = around;
    }
}

impl<'a> Visit<'a> for Finder<'a> {
    fn visit_type_reference(&mut self, reference: &'a TypeReference) {
        if reference.mutability.is_some() {
            self.found.push(Effect::MutRef(reference));
            return;
        }
        self.shared_refs += 1;
        visit::visit_type_reference(self, reference);
        self.shared_refs -= 1;
    }

    fn visit_type_path(&mut self, path: &'a TypePath) {
        if self.shared_refs > 0
            && let Some(last) = path.path.segments.last()
            && is_interior_mutable(&last.ident)
        {
            self.found.push(Effect::InteriorMut(last));
            return;
        }
        visit::visit_type_path(self, path);
    }

    // The parameters of a callable are what the body passes to it, not what the caller lends:
    // `impl Fn(&mut Vec<u8>)` and `fn(&Cell<u8>)` are fine.
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

    /// What `effects` finds in `text`: `&mut` for a `MutRef`, the ident for an `InteriorMut`.
    fn found(text: &str) -> Vec<String> {
        let ty: Type = syn::parse_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        effects(&ty)
            .iter()
            .map(|effect| match effect {
                Effect::MutRef(_) => "&mut".to_owned(),
                Effect::InteriorMut(segment) => segment.ident.to_string(),
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

    const INTERIOR_MUTS: &[(&str, &str)] = &[
        ("&RefCell<T>", "RefCell"),
        ("&Cell<u8>", "Cell"),
        ("&UnsafeCell<u8>", "UnsafeCell"),
        ("&OnceCell<String>", "OnceCell"),
        ("&Mutex<Pool>", "Mutex"),
        ("&RwLock<State>", "RwLock"),
        ("&OnceLock<String>", "OnceLock"),
        ("&AtomicUsize", "AtomicUsize"),
        ("&AtomicBool", "AtomicBool"),
        ("&std::sync::atomic::AtomicU64", "AtomicU64"),
        ("&Atomic<u32>", "Atomic"),
        ("&std::sync::Mutex<T>", "Mutex"),
        ("&std::cell::RefCell<T>", "RefCell"),
        ("&parking_lot::Mutex<T>", "Mutex"),
        ("&parking_lot::ReentrantMutex<T>", "ReentrantMutex"),
        ("&tokio::sync::Mutex<T>", "Mutex"),
        ("&'static std::sync::RwLock<T>", "RwLock"),
        ("Option<&Mutex<T>>", "Mutex"),
        ("(&RefCell<T>, usize)", "RefCell"),
        ("&[Cell<u8>]", "Cell"),
        ("&Vec<RefCell<T>>", "RefCell"),
        ("&Arc<Mutex<T>>", "Mutex"),
        ("&&Mutex<T>", "Mutex"),
        ("&(u8, Cell<u8>)", "Cell"),
        ("&impl std::ops::Deref<Target = Mutex<T>>", "Mutex"),
        ("impl Iterator<Item = &'a Cell<u8>>", "Cell"),
    ];

    /// Types the caller cannot see changed through, or whose changes are values in the key.
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
    fn interior_mutability_behind_a_shared_reference() {
        for (text, name) in INTERIOR_MUTS {
            assert_eq!(found(text), [*name], "{text}");
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
        assert_eq!(found("(&mut A, &RefCell<B>)"), ["&mut", "RefCell"]);
        assert_eq!(found("&mut Vec<&mut u8>"), ["&mut"]);
        assert_eq!(found("&mut RefCell<u8>"), ["&mut"]);
        assert_eq!(found("&RefCell<Cell<u8>>"), ["RefCell"]);
    }

    #[test]
    fn texts() {
        let text = |ty: &str| -> Vec<String> {
            let ty: Type = syn::parse_str(ty).unwrap();
            effects(&ty).iter().map(Effect::text).collect()
        };
        assert_eq!(text("&'a mut u8"), ["&mut"]);
        assert_eq!(text("&std::cell::RefCell<T>"), ["&RefCell<..>"]);
        assert_eq!(text("&AtomicUsize"), ["&AtomicUsize"]);
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
        assert_eq!(culprits("&std::sync::Mutex<u8>"), ["Mutex"]);
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
        assert_eq!(effects(&grouped("&Mutex<u8>")).len(), 1);
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
        for (culprit, name) in INTERIOR_MUTS {
            for text in nest(culprit) {
                assert_eq!(found(&text), [*name], "{text}");
            }
        }
        for fine in FINE {
            for text in nest(fine) {
                assert_eq!(found(&text), Vec::<String>::new(), "{text}");
            }
        }
    }
}
