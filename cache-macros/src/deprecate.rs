//! The deprecated attributes' warnings, and which new attribute `#[cache]` recommends.
//!
//! The recommendation looks at the function's return type (the `T` inside `Result<T, E>` or
//! `Option<T>`): by its last path segment and, where the path names one, its crate. The one
//! table of known types is [`KNOWN`].

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

use crate::attr::Attribute;

/// Where the migration guide lives: a section of the `fncache` crate docs.
pub(crate) const LINK: &str =
    "https://docs.rs/fncache/latest/fncache/#migrating-from-the-deprecated-attributes";

/// A new attribute to recommend.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Recommendation {
    Data,
    Resource,
}

impl Recommendation {
    fn attribute(self) -> &'static str {
        match self {
            Recommendation::Data => "#[cache_data]",
            Recommendation::Resource => "#[cache_resource]",
        }
    }
}

/// The deprecation text for `attr` on a function returning `output`; `None` for the new ones.
pub(crate) fn note(attr: Attribute, output: Option<&Type>) -> Option<String> {
    Some(match attr {
        Attribute::CacheData | Attribute::CacheResource => return None,
        Attribute::ExperimentalMemo => format!(
            "`#[experimental_memo]` is deprecated. Please use the new attribute `#[cache_data]` instead, which has the same behavior. More information: {LINK}"
        ),
        Attribute::ExperimentalSingleton => format!(
            "`#[experimental_singleton]` is deprecated. Please use the new attribute `#[cache_resource]` instead, which has the same behavior. More information: {LINK}"
        ),
        Attribute::Cache => {
            let mut text = String::from(
                "`#[cache]` is deprecated. Please use one of the new caching attributes, `#[cache_data]` or `#[cache_resource]`.",
            );
            if let Some((ty, recommendation)) = output.and_then(recommend) {
                text.push_str(&format!(
                    " Based on this function's return type `{}`, we recommend using `{}`.",
                    type_text(ty),
                    recommendation.attribute()
                ));
            }
            text.push_str(&format!(" More information: {LINK}"));
            text
        }
    })
}

/// The recommendation for a return type, with the type it was decided on.
pub(crate) fn recommend(output: &Type) -> Option<(&Type, Recommendation)> {
    let decided_on = unwrap_result_or_option(output);
    classify(decided_on).map(|r| (decided_on, r))
}

fn unwrap_result_or_option(ty: &Type) -> &Type {
    match last_segment(ty) {
        Some((name, args)) if name == "Result" || name == "Option" => args
            .first()
            .map_or(ty, |inner| unwrap_result_or_option(inner)),
        _ => ty,
    }
}

/// Data, resource, or unknown.
fn classify(ty: &Type) -> Option<Recommendation> {
    match ty {
        Type::Paren(inner) => classify(&inner.elem),
        Type::Group(inner) => classify(&inner.elem),
        Type::Reference(reference) => classify(&reference.elem),
        Type::Array(array) => all_data([&*array.elem]),
        Type::Slice(slice) => all_data([&*slice.elem]),
        Type::Tuple(tuple) if !tuple.elems.is_empty() => all_data(tuple.elems.iter()),
        Type::Path(path) => {
            let (name, args) = last_segment(ty)?;
            if WRAPPERS_OF_SHARED_STATE.contains(&name.as_str()) {
                return Some(Recommendation::Resource);
            }
            if COLLECTIONS.contains(&name.as_str()) {
                return if args.is_empty() {
                    None
                } else {
                    all_data(args)
                };
            }
            let first = path.path.segments.first().map(|s| s.ident.to_string());
            let crate_name = (path.path.segments.len() > 1).then_some(first).flatten();
            KNOWN
                .iter()
                .flat_map(|table| table.iter())
                .find_map(|known| known.matches(&name, crate_name.as_deref()))
        }
        _ => None,
    }
}

fn all_data<'a>(types: impl IntoIterator<Item = &'a Type>) -> Option<Recommendation> {
    types
        .into_iter()
        .all(|ty| classify(ty) == Some(Recommendation::Data))
        .then_some(Recommendation::Data)
}

/// The last path segment's name and its type arguments.
fn last_segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let args = match &last.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((last.ident.to_string(), args))
}

/// Anything wrapped in these is shared, mutable state: a resource.
const WRAPPERS_OF_SHARED_STATE: &[&str] = &["Arc", "Mutex", "RwLock"];

/// Collections that are data when every type argument is.
const COLLECTIONS: &[&str] = &[
    "Vec", "VecDeque", "HashMap", "BTreeMap", "HashSet", "BTreeSet", "Box",
];

/// A type known by name: `name` is matched exactly, or as a suffix when it starts with `*`
/// (`*Connection` for diesel's `PgConnection`, `SqliteConnection`, ...). Where the path names
/// a crate (`chrono::DateTime`), it must be one of `crates`; a bare name matches by itself.
struct Known {
    name: &'static str,
    crates: &'static [&'static str],
    recommendation: Recommendation,
}

impl Known {
    fn matches(&self, name: &str, crate_name: Option<&str>) -> Option<Recommendation> {
        let name_matches = match self.name.strip_prefix('*') {
            Some(suffix) => name.ends_with(suffix),
            None => name == self.name,
        };
        let crate_matches =
            crate_name.is_none_or(|c| self.crates.is_empty() || self.crates.contains(&c));
        (name_matches && crate_matches).then_some(self.recommendation)
    }
}

macro_rules! known {
    ($recommendation:ident: $($name:literal in [$($krate:literal),*]),* $(,)?) => {
        &[$(Known { name: $name, crates: &[$($krate),*], recommendation: Recommendation::$recommendation }),*]
    };
}

const DATA: &[Known] = known!(Data:
    "String" in ["std", "alloc"], "str" in [], "bool" in [], "char" in [],
    "i8" in [], "i16" in [], "i32" in [], "i64" in [], "i128" in [], "isize" in [],
    "u8" in [], "u16" in [], "u32" in [], "u64" in [], "u128" in [], "usize" in [],
    "f32" in [], "f64" in [],
    "Bytes" in ["bytes"], "SystemTime" in ["std"],
    "DateTime" in ["chrono"], "NaiveDate" in ["chrono"], "NaiveDateTime" in ["chrono"],
    "OffsetDateTime" in ["time"], "Date" in ["time"], "PrimitiveDateTime" in ["time"],
    "DataFrame" in ["polars"], "Series" in ["polars"],
    "RecordBatch" in ["arrow", "arrow_array"],
    "ArrayBase" in ["ndarray"], "Array" in ["ndarray"], "Array0" in ["ndarray"],
    "Array1" in ["ndarray"], "Array2" in ["ndarray"], "Array3" in ["ndarray"],
    "Array4" in ["ndarray"], "Array5" in ["ndarray"], "Array6" in ["ndarray"], "ArrayD" in ["ndarray"],
    "DMatrix" in ["nalgebra"], "DVector" in ["nalgebra"],
    "DynamicImage" in ["image"], "ImageBuffer" in ["image"], "RgbImage" in ["image"],
    "RgbaImage" in ["image"], "GrayImage" in ["image"],
    "Value" in ["serde_json"], "Plot" in ["plotly"],
);

const RESOURCE: &[Known] = known!(Resource:
    "Connection" in ["rusqlite", "duckdb", "odbc_api", "redis", "sqlite"],
    "*Connection" in ["diesel"],
    "Pool" in ["sqlx", "r2d2", "bb8", "deadpool", "deadpool_postgres", "deadpool_redis", "mysql", "mysql_async"],
    "PgPool" in ["sqlx"], "MySqlPool" in ["sqlx"], "SqlitePool" in ["sqlx"], "AnyPool" in ["sqlx"],
    "Client" in ["postgres", "tokio_postgres", "mongodb", "redis", "tiberius", "reqwest"],
    "Database" in ["mongodb"], "ConnectionManager" in ["redis"], "Conn" in ["mysql", "mysql_async"],
    "Channel" in ["tonic"], "CModule" in ["tch"], "VarStore" in ["tch"],
    "Device" in ["candle_core", "candle"], "VarBuilder" in ["candle_nn", "candle"],
    "Session" in ["ort"], "Tokenizer" in ["tokenizers"],
    "File" in ["std", "tokio", "async_std"], "TcpStream" in ["std", "tokio", "async_std"],
);

/// The table, data first.
const KNOWN: &[&[Known]] = &[DATA, RESOURCE];

/// A type as a person writes it: `Result<Vec<u8>, Error>`, not `Result < Vec < u8 > , Error >`.
pub(crate) fn type_text(ty: &Type) -> String {
    let spaced = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(spaced.len());
    let mut chars = spaced.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.peek().copied();
            let glue_before = matches!(next, Some('<' | '>' | ',' | ':' | ')' | ']' | ';'));
            let glue_after = matches!(prev, Some('<' | ':' | '&' | '(' | '['));
            if glue_before || glue_after {
                continue;
            }
        }
        out.push(c);
    }
    out.replace(",", ", ")
        .replace(";", "; ")
        .replace(",  ", ", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Recommendation::{Data, Resource};

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    fn rec(text: &str) -> Option<Recommendation> {
        recommend(&ty(text)).map(|(_, r)| r)
    }

    #[test]
    fn data_types() {
        for t in [
            "String",
            "u64",
            "f32",
            "Vec<u8>",
            "bytes::Bytes",
            "std::time::SystemTime",
            "chrono::DateTime<chrono::Utc>",
            "polars::prelude::DataFrame",
            "ndarray::Array2<f64>",
            "image::RgbImage",
            "serde_json::Value",
            "plotly::Plot",
            "HashMap<String, Vec<f64>>",
            "(u32, String)",
            "[f64; 3]",
            "Result<Vec<String>, std::io::Error>",
            "Option<i64>",
            "anyhow::Result<BTreeMap<String, u8>>",
            "VecDeque<char>",
        ] {
            assert_eq!(rec(t), Some(Data), "{t}");
        }
    }

    #[test]
    fn resource_types() {
        for t in [
            "rusqlite::Connection",
            "Connection",
            "diesel::PgConnection",
            "PgConnection",
            "sqlx::PgPool",
            "r2d2::Pool<M>",
            "mongodb::Client",
            "redis::aio::ConnectionManager",
            "reqwest::Client",
            "tonic::transport::Channel",
            "ort::session::Session",
            "tokenizers::Tokenizer",
            "std::fs::File",
            "std::net::TcpStream",
            "Arc<Model>",
            "Mutex<Vec<u8>>",
            "std::sync::RwLock<State>",
            "Result<Arc<Engine>, Error>",
        ] {
            assert_eq!(rec(t), Some(Resource), "{t}");
        }
    }

    #[test]
    fn unknown_types_get_no_recommendation() {
        for t in [
            "MyStruct",
            "Vec<MyStruct>",
            "(u32, Model)",
            "mycrate::DataFrame",
            "()",
            "fake::Client",
            "Result<Model, E>",
        ] {
            assert_eq!(rec(t), None, "{t}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(
            type_text(&ty("Result < Vec < u8 > , E >")),
            "Result<Vec<u8>, E>"
        );
        assert_eq!(
            type_text(&ty("std::collections::HashMap<String, (u8, f64)>")),
            "std::collections::HashMap<String, (u8, f64)>"
        );
        assert_eq!(type_text(&ty("&'static str")), "&'static str");
        let note = note(Attribute::Cache, Some(&ty("Vec<u8>"))).unwrap();
        assert!(note.contains("Based on this function's return type `Vec<u8>`, we recommend using `#[cache_data]`."), "{note}");
    }
}
