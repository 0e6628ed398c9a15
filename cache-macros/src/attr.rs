//! The attribute's options: parsed from `name = value` pairs into a typed struct, each value
//! checked where it can be at compile time, every mistake an error spanned on its token.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, LitBool, LitStr, Token, UnOp};

use crate::errors::Errors;
use crate::{duration, size};

/// Which cache a function gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Data,
    Resource,
}

/// The attribute as the user wrote it: the two current ones and the three deprecated ones.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Attribute {
    CacheData,
    CacheResource,
    /// Deprecated: `#[cache_data]` under its old name.
    ExperimentalMemo,
    /// Deprecated: `#[cache_resource]` under its old name.
    ExperimentalSingleton,
    /// Deprecated: the old all-in-one form, data unless `allow_output_mutation = true`.
    Cache,
}

const DATA_OPTIONS: &[&str] = &[
    "ttl",
    "max_entries",
    "max_size",
    "persist",
    "version",
    "show_spinner",
    "show_time",
    "hash_self",
    "associated",
];
const RESOURCE_OPTIONS: &[&str] = &[
    "ttl",
    "max_entries",
    "max_size",
    "weigh",
    "show_spinner",
    "show_time",
    "validate",
    "on_release",
    "hash_self",
    "associated",
];
const CACHE_OPTIONS: &[&str] = &[
    "ttl",
    "max_entries",
    "persist",
    "show_spinner",
    "allow_output_mutation",
    "suppress_st_warning",
];

impl Attribute {
    /// How the attribute is written, for messages: `#[cache_data]`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Attribute::CacheData => "#[cache_data]",
            Attribute::CacheResource => "#[cache_resource]",
            Attribute::ExperimentalMemo => "#[experimental_memo]",
            Attribute::ExperimentalSingleton => "#[experimental_singleton]",
            Attribute::Cache => "#[cache]",
        }
    }

    fn options(self) -> &'static [&'static str] {
        match self {
            Attribute::CacheData | Attribute::ExperimentalMemo => DATA_OPTIONS,
            Attribute::CacheResource | Attribute::ExperimentalSingleton => RESOURCE_OPTIONS,
            Attribute::Cache => CACHE_OPTIONS,
        }
    }

    /// The cache this attribute builds with these options.
    pub(crate) fn kind(self, options: &Options) -> Kind {
        match self {
            Attribute::CacheData | Attribute::ExperimentalMemo => Kind::Data,
            Attribute::CacheResource | Attribute::ExperimentalSingleton => Kind::Resource,
            Attribute::Cache => match &options.allow_output_mutation {
                Some(flag) if flag.value => Kind::Resource,
                _ => Kind::Data,
            },
        }
    }

    /// What to say about an option that Streamlit had and this attribute does not take.
    fn removed_option(self, name: &str) -> Option<String> {
        let attr = self.name();
        let is_data = matches!(self, Attribute::CacheData | Attribute::ExperimentalMemo);
        Some(match name {
            "allow_output_mutation" if is_data => format!(
                "`allow_output_mutation` is not needed by `{attr}` and can be removed: every call gets its own fresh copy, which it may mutate freely"
            ),
            "allow_output_mutation" => format!(
                "`allow_output_mutation` is not needed by `{attr}` and can be removed: the resource is shared as an `Arc`; to mutate it, give it interior mutability (`Mutex`, `RwLock`, atomics)"
            ),
            "persist" if !is_data => format!(
                "`{attr}` does not offer persistence, since resources cannot be serialized: remove `persist`, or, if the value is serializable data, use `#[cache_data(persist = \"disk\")]`"
            ),
            "hash_funcs" => format!(
                "`hash_funcs` is not supported by `{attr}`: put `#[hash_with(path)]` on the parameter to hash it through `path`, or prefix the parameter's name with `_` to leave it out of the key"
            ),
            "suppress_st_warning" => format!(
                "`suppress_st_warning` was removed and can be deleted: `{attr}` has no warnings about replayed side effects to suppress"
            ),
            "experimental_allow_widgets" => format!(
                "`experimental_allow_widgets` was removed and can be deleted: `{attr}` caches plain functions, there are no widgets to replay"
            ),
            _ => return None,
        })
    }
}

/// One `name = value` pair as written.
pub(crate) struct RawOption {
    pub(crate) name: Ident,
    pub(crate) value: Expr,
}

impl Parse for RawOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `{name} = <value>`"),
            ));
        }
        input.parse::<Token![=]>()?;
        Ok(RawOption {
            name,
            value: input.parse()?,
        })
    }
}

/// Parses the attribute's arguments: `name = value` pairs separated by commas.
pub(crate) fn parse_raw(args: TokenStream) -> syn::Result<Vec<RawOption>> {
    let parser = Punctuated::<RawOption, Token![,]>::parse_terminated;
    Ok(syn::parse::Parser::parse2(parser, args)?
        .into_iter()
        .collect())
}

/// The `ttl` option.
pub(crate) enum Ttl {
    /// A literal, converted at compile time.
    Fixed(Duration),
    /// An expression of type `Duration`, evaluated at the first call.
    Expr(Expr),
}

/// The `show_spinner` option.
pub(crate) enum ShowSpinner {
    Off,
    Text(LitStr),
}

/// Every option of both attributes; `None` where not given (the default).
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) ttl: Option<Ttl>,
    pub(crate) max_entries: Option<Expr>,
    /// `max_size = 1000` or `max_size = "500MB"`: the bytes, and the option's span.
    pub(crate) max_size: Option<(u64, Span)>,
    /// A resource's `weigh = path`: what `max_size` counts of a value.
    pub(crate) weigh: Option<Expr>,
    /// `persist = "disk"` or `persist = true`; `false` is the default and is `None` here.
    pub(crate) persist: Option<Span>,
    /// `version = 3` or `version = "2024-06"`: what persisted entries are tied to instead of
    /// the build. The text, and the option's span.
    pub(crate) version: Option<(String, Span)>,
    pub(crate) show_spinner: Option<ShowSpinner>,
    pub(crate) show_time: Option<LitBool>,
    pub(crate) validate: Option<Expr>,
    pub(crate) on_release: Option<Expr>,
    /// Methods only: `hash_self = false` leaves the receiver out of the key.
    pub(crate) hash_self: Option<LitBool>,
    /// `associated = true`: the function is in an `impl` block though it mentions neither
    /// `self` nor `Self`, which an attribute cannot otherwise tell.
    pub(crate) associated: Option<LitBool>,
    /// `#[cache]` only: `true` makes it a resource cache.
    pub(crate) allow_output_mutation: Option<LitBool>,
}

impl Options {
    /// Checks every option against the attribute, collecting all mistakes.
    pub(crate) fn from_raw(attr: Attribute, raw: Vec<RawOption>, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let mut seen: Vec<Ident> = Vec::new();
        for RawOption { name, value } in raw {
            if seen.contains(&name) {
                errors.push(
                    name.span(),
                    format!("duplicate option `{name}` in `{}`", attr.name()),
                );
                continue;
            }
            seen.push(name.clone());
            if !attr.options().contains(&name.to_string().as_str()) {
                let message = attr
                    .removed_option(&name.to_string())
                    .unwrap_or_else(|| unknown_option(attr, &name));
                errors.push(name.span(), message);
                continue;
            }
            match name.to_string().as_str() {
                "ttl" => options.ttl = errors.ok(ttl(&value)),
                "max_entries" => options.max_entries = errors.ok(max_entries(value)),
                "max_size" => {
                    options.max_size = errors
                        .ok(max_size(&value))
                        .map(|bytes| (bytes, name.span()))
                }
                "weigh" => {
                    // Kept when invalid too, so that `max_size` does not also ask for one.
                    let checked =
                        callable(value.clone(), "weigh", "Fn(&T) -> usize", "Model::bytes");
                    options.weigh = Some(errors.ok(checked).unwrap_or(value));
                }
                "persist" => {
                    // The option's name, so that a conflict with another option points at it.
                    let on = errors.ok(persist(&value)).flatten();
                    options.persist = on.map(|_| name.span());
                }
                "version" => {
                    options.version = errors.ok(version(&value)).map(|text| (text, name.span()))
                }
                "show_spinner" => options.show_spinner = errors.ok(show_spinner(&value)).flatten(),
                "show_time" => options.show_time = errors.ok(bool_literal(&value, "show_time")),
                "validate" => {
                    options.validate =
                        errors.ok(callable(value, "validate", "Fn(&T) -> bool", "is_alive"))
                }
                "on_release" => {
                    options.on_release = errors.ok(callable(value, "on_release", "Fn(&T)", "close"))
                }
                "hash_self" => options.hash_self = errors.ok(bool_literal(&value, "hash_self")),
                "associated" => options.associated = errors.ok(bool_literal(&value, "associated")),
                "allow_output_mutation" => {
                    options.allow_output_mutation =
                        errors.ok(bool_literal(&value, "allow_output_mutation"))
                }
                "suppress_st_warning" => {
                    // Accepted by `#[cache]` for old code; it has nothing to suppress.
                    errors.ok(bool_literal(&value, "suppress_st_warning"));
                }
                _ => unreachable!("every option of `Attribute::options` is handled"),
            }
        }
        options
    }
}

/// The valid option closest to a misspelt one, if it is close (at most two edits).
fn closest(name: &str, options: &[&'static str]) -> Option<&'static str> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut previous = row[0];
            row[0] = i + 1;
            for (j, &cb) in b.iter().enumerate() {
                let substitution = previous + usize::from(ca != cb);
                previous = row[j + 1];
                row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
            }
        }
        row[b.len()]
    };
    options
        .iter()
        .map(|o| (distance(name, o), *o))
        .filter(|&(d, _)| d <= 2)
        .min()
        .map(|(_, o)| o)
}

fn unknown_option(attr: Attribute, name: &Ident) -> String {
    let valid = attr
        .options()
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut message = format!(
        "unknown option `{name}` for `{}`; valid options are {valid}",
        attr.name()
    );
    let name = name.to_string();
    let elsewhere = [Attribute::CacheData, Attribute::CacheResource]
        .into_iter()
        .filter(|other| other.options() != attr.options() && other.options().contains(&&*name))
        .map(|other| format!("`{}`", other.name()))
        .collect::<Vec<_>>();
    if elsewhere.is_empty() {
        if let Some(suggestion) = closest(&name, attr.options()) {
            message.push_str(&format!(" (did you mean `{suggestion}`?)"));
        }
    } else {
        let elsewhere = elsewhere.join(" and ");
        message.push_str(&format!(" (`{name}` is an option of {elsewhere})"));
    }
    message
}

fn ttl(value: &Expr) -> syn::Result<Ttl> {
    let invalid = |span: Span, why: &str| {
        syn::Error::new(
            span,
            format!("invalid `ttl`: {why}; expected {}", duration::FORMS),
        )
    };
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => {
                let seconds: u64 = int
                    .base10_parse()
                    .map_err(|_| invalid(int.span(), "the number is too large"))?;
                if seconds == 0 {
                    return Err(invalid(
                        int.span(),
                        "a ttl of zero would never reuse a value",
                    ));
                }
                Ok(Ttl::Fixed(Duration::from_secs(seconds)))
            }
            Lit::Float(float) => {
                let seconds: f64 = float.base10_parse()?;
                let duration = Duration::try_from_secs_f64(seconds)
                    .map_err(|_| invalid(float.span(), "the number is out of range"))?;
                if duration.is_zero() {
                    return Err(invalid(
                        float.span(),
                        "a ttl of zero would never reuse a value",
                    ));
                }
                Ok(Ttl::Fixed(duration))
            }
            Lit::Str(text) => duration::parse(&text.value())
                .map(Ttl::Fixed)
                .map_err(|why| invalid(text.span(), &why)),
            other => Err(invalid(other.span(), "this literal is not a duration")),
        },
        Expr::Unary(unary)
            if matches!(unary.op, UnOp::Neg(_)) && matches!(*unary.expr, Expr::Lit(_)) =>
        {
            Err(syn::Error::new_spanned(
                value,
                format!(
                    "invalid `ttl`: a ttl must be positive; expected {}",
                    duration::FORMS
                ),
            ))
        }
        expr => Ok(Ttl::Expr(expr.clone())),
    }
}

fn max_entries(value: Expr) -> syn::Result<Expr> {
    let expected = "expected a positive integer (`max_entries = 100`)";
    match &value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => match int.base10_parse::<u64>() {
                Ok(0) => Err(syn::Error::new(
                    int.span(),
                    format!("invalid `max_entries`: zero would cache nothing; {expected}"),
                )),
                Ok(_) => Ok(value),
                Err(_) => Err(syn::Error::new(
                    int.span(),
                    format!("invalid `max_entries`: {expected}"),
                )),
            },
            other => Err(syn::Error::new(
                other.span(),
                format!("invalid `max_entries`: {expected}"),
            )),
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => Err(syn::Error::new_spanned(
            value,
            format!("invalid `max_entries`: {expected}"),
        )),
        _ => Ok(value),
    }
}

fn max_size(value: &Expr) -> syn::Result<u64> {
    let invalid = |span: Span, why: &str| {
        syn::Error::new(
            span,
            format!("invalid `max_size`: {why}; expected {}", size::FORMS),
        )
    };
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => match int.base10_parse::<u64>() {
                Ok(0) => Err(invalid(int.span(), "zero would cache nothing")),
                Ok(bytes) => Ok(bytes),
                Err(_) => Err(invalid(int.span(), "not a number of bytes")),
            },
            Lit::Str(text) => size::parse(&text.value()).map_err(|why| invalid(text.span(), &why)),
            Lit::Bool(flag) => Err(invalid(flag.span(), "a size is not a bool")),
            other => Err(invalid(other.span(), "not a size")),
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => Err(invalid(
            syn::spanned::Spanned::span(unary),
            "a size cannot be negative",
        )),
        other => Err(invalid(
            syn::spanned::Spanned::span(other),
            "it is read at compile time, so it must be a literal",
        )),
    }
}

fn persist(value: &Expr) -> syn::Result<Option<Span>> {
    let expected = "invalid `persist`: expected `\"disk\"`, `true` or `false`";
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(b) => Ok(b.value.then(|| b.span())),
            Lit::Str(text) if text.value() == "disk" => Ok(Some(text.span())),
            other => Err(syn::Error::new(other.span(), expected)),
        },
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

fn version(value: &Expr) -> syn::Result<String> {
    let expected = "invalid `version`: expected an integer or a non-empty string (`version = 2` or `version = \"2024-06\"`)";
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) if int.suffix().is_empty() => Ok(int.base10_digits().to_owned()),
            Lit::Str(text) if !text.value().trim().is_empty() => Ok(text.value()),
            other => Err(syn::Error::new(other.span(), expected)),
        },
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

fn show_spinner(value: &Expr) -> syn::Result<Option<ShowSpinner>> {
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(b) if b.value => Ok(None),
            Lit::Bool(_) => Ok(Some(ShowSpinner::Off)),
            Lit::Str(text) => Ok(Some(ShowSpinner::Text(text.clone()))),
            other => Err(syn::Error::new(
                other.span(),
                "invalid `show_spinner`: expected `true`, `false` or a text (`show_spinner = \"Loading...\"`)",
            )),
        },
        other => Err(syn::Error::new_spanned(
            other,
            "invalid `show_spinner`: expected `true`, `false` or a text (`show_spinner = \"Loading...\"`)",
        )),
    }
}

fn bool_literal(value: &Expr, name: &str) -> syn::Result<LitBool> {
    if let Expr::Lit(lit) = value
        && let Lit::Bool(b) = &lit.lit
    {
        return Ok(b.clone());
    }
    Err(syn::Error::new_spanned(
        value,
        format!("invalid `{name}`: expected `true` or `false`"),
    ))
}

/// A hook: a path or a closure, not a literal. `example` is a path that shows the form.
fn callable(value: Expr, name: &str, signature: &str, example: &str) -> syn::Result<Expr> {
    match value {
        Expr::Lit(_) => Err(syn::Error::new_spanned(
            value,
            format!(
                "invalid `{name}`: expected a function path or a closure of type `{signature}` (`{name} = {example}`)"
            ),
        )),
        _ => Ok(value),
    }
}

/// The span of a whole expression (its first token's, joined with the last where possible).
pub(crate) fn span_of(tokens: &impl ToTokens) -> Span {
    syn::spanned::Spanned::span(&tokens.to_token_stream())
}
