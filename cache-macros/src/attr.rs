//! The attribute's options: parsed from `name = value` pairs into a typed struct, each value
//! checked where it can be at compile time, every mistake an error spanned on its token.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, LitBool, LitStr, Token, UnOp};

use crate::duration;
use crate::errors::Errors;

/// Which cache an attribute builds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Data,
    Resource,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Data => "#[cache_data]",
            Kind::Resource => "#[cache_resource]",
        }
    }

    fn options(self) -> &'static [&'static str] {
        match self {
            Kind::Data => &["ttl", "max_entries", "persist", "show_spinner", "show_time"],
            Kind::Resource => &[
                "ttl",
                "max_entries",
                "show_spinner",
                "show_time",
                "validate",
                "on_release",
            ],
        }
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
    /// `persist = "disk"` or `persist = true`; `false` is the default and is `None` here.
    pub(crate) persist: Option<Span>,
    pub(crate) show_spinner: Option<ShowSpinner>,
    pub(crate) show_time: Option<LitBool>,
    pub(crate) validate: Option<Expr>,
    pub(crate) on_release: Option<Expr>,
}

impl Options {
    /// Checks every option against `kind`, collecting all mistakes.
    pub(crate) fn from_raw(kind: Kind, raw: Vec<RawOption>, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let mut seen: Vec<Ident> = Vec::new();
        for RawOption { name, value } in raw {
            if seen.contains(&name) {
                errors.push(
                    name.span(),
                    format!("duplicate option `{name}` in `{}`", kind.attribute()),
                );
                continue;
            }
            seen.push(name.clone());
            if !kind.options().contains(&name.to_string().as_str()) {
                errors.push(name.span(), unknown_option(kind, &name));
                continue;
            }
            match name.to_string().as_str() {
                "ttl" => options.ttl = errors.ok(ttl(&value)),
                "max_entries" => options.max_entries = errors.ok(max_entries(value)),
                "persist" => options.persist = errors.ok(persist(&value)).flatten(),
                "show_spinner" => options.show_spinner = errors.ok(show_spinner(&value)).flatten(),
                "show_time" => options.show_time = errors.ok(bool_literal(&value, "show_time")),
                "validate" => {
                    options.validate = errors.ok(callable(value, "validate", "Fn(&T) -> bool"))
                }
                "on_release" => {
                    options.on_release = errors.ok(callable(value, "on_release", "Fn(&T)"))
                }
                _ => unreachable!("every option of `Kind::options` is handled"),
            }
        }
        options
    }
}

fn unknown_option(kind: Kind, name: &Ident) -> String {
    let valid = kind
        .options()
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut message = format!(
        "unknown option `{name}` for `{}`; valid options are {valid}",
        kind.attribute()
    );
    let resource_only = Kind::Resource
        .options()
        .contains(&name.to_string().as_str());
    if kind == Kind::Data && resource_only {
        message.push_str(&format!(" (`{name}` is an option of `#[cache_resource]`)"));
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
            Err(invalid(span_of(value), "a ttl must be positive"))
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
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => Err(syn::Error::new(
            span_of(&value),
            format!("invalid `max_entries`: {expected}"),
        )),
        _ => Ok(value),
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
        other => Err(syn::Error::new(span_of(other), expected)),
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
        other => Err(syn::Error::new(
            span_of(other),
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
    Err(syn::Error::new(
        span_of(value),
        format!("invalid `{name}`: expected `true` or `false`"),
    ))
}

fn callable(value: Expr, name: &str, signature: &str) -> syn::Result<Expr> {
    match value {
        Expr::Lit(_) => Err(syn::Error::new(
            span_of(&value),
            format!(
                "invalid `{name}`: expected a function path or a closure of type `{signature}` (`{name} = is_alive`)"
            ),
        )),
        _ => Ok(value),
    }
}

/// The span of a whole expression (its first token's, joined with the last where possible).
pub(crate) fn span_of(tokens: &impl ToTokens) -> Span {
    syn::spanned::Spanned::span(&tokens.to_token_stream())
}
