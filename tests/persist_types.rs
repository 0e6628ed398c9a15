//! A return type whose definition changes between two builds: the old build's entries are
//! misses for the new one, even though the function's code (and so its key) did not change.
//!
//! Two builds are played by two definitions of `Model` in two modules, and the same function
//! identity (`FnId`: the path and code hash the macro would give both builds) cached by two
//! `DataCache`s, white-box through `fncache::__private`. The fingerprint sees only what serde
//! sees (names, fields, variants, types), never the Rust path, so this is what a rebuild sees.

mod persist_common;

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fncache::__private::{DataCache, FnId, KeyWriter, Options};
use fncache::persist::{DiskStorage, Entry, Function, HEADER_LEN};
use persist_common::{count_warnings, entries};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("persist-types");
        let _ = fs::remove_dir_all(&root);
        fncache::set_cache_dir(&root).expect("the first persisted call of this binary");
        root
    })
}

/// Calls the function `path` of one build, with the value `make()`, in a new process: the
/// value, whether the body ran, and how many warnings were logged.
fn call<T: Serialize + DeserializeOwned>(
    path: &'static str,
    make: impl FnOnce() -> T,
) -> (T, bool, usize) {
    root();
    let cache: &'static DataCache = Box::leak(Box::new(DataCache::new(FnId::new(path, "c0de"))));
    let ran = Cell::new(false);
    let (value, warnings) = count_warnings(|| {
        cache.get(
            || Options::new().persist(true),
            fncache_runtime::codec::Exact::by_serialization(),
            KeyWriter::new().arg(&1u8).finish(),
            || {
                ran.set(true);
                make()
            },
        )
    });
    (value, ran.get(), warnings)
}

mod v1 {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    pub struct Model {
        pub id: u32,
        pub name: String,
        pub kind: super::Kind,
    }
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
pub enum Kind {
    Plain,
    Tagged(String),
}

fn old() -> v1::Model {
    v1::Model {
        id: 7,
        name: "seven".into(),
        kind: Kind::Plain,
    }
}

/// Writes the old build's entry for `path`, then calls it with the new build's type: the new
/// value must be computed and returned, and a third process must hit the new entry.
fn assert_new_build_misses<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    path: &'static str,
    new: impl Fn() -> T,
) {
    let (_, ran, _) = call(path, old);
    assert!(ran);
    assert_eq!(
        call(path, old),
        (old(), false, 0),
        "the old build hits its own entry"
    );
    let (value, ran, warnings) = call(path, &new);
    assert_eq!(value, new());
    assert!(ran, "an entry of the old type was returned as the new type");
    // A changed type is an expected event after a rebuild, not a fault: no warning.
    assert_eq!(warnings, 0);
    assert_eq!(
        call(path, &new),
        (new(), false, 0),
        "the new entry replaced the old"
    );
}

#[test]
fn the_same_definition_hits() {
    mod v1_rebuilt {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub struct Model {
            pub id: u32,
            pub name: String,
            pub kind: super::Kind,
        }
        impl Model {
            pub fn describe(&self) -> String {
                format!("{} ({})", self.name, self.id)
            }
        }
    }
    let path = "persist_types::same";
    call(path, old);
    let (value, ran, _) = call(path, || v1_rebuilt::Model {
        id: 0,
        name: "not this".into(),
        kind: Kind::Plain,
    });
    assert!(!ran);
    assert_eq!(value.describe(), "seven (7)");
}

#[test]
fn a_field_added_is_a_miss() {
    mod added {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub struct Model {
            pub id: u32,
            pub name: String,
            pub kind: super::Kind,
            pub score: u32,
        }
    }
    assert_new_build_misses("persist_types::added", || added::Model {
        id: 1,
        name: "one".into(),
        kind: Kind::Plain,
        score: 3,
    });
}

#[test]
fn a_field_removed_is_a_miss() {
    mod removed {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub struct Model {
            pub id: u32,
            pub name: String,
        }
    }
    assert_new_build_misses("persist_types::removed", || removed::Model {
        id: 1,
        name: "one".into(),
    });
}

#[test]
fn fields_reordered_are_a_miss() {
    mod reordered {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub struct Model {
            pub name: String,
            pub id: u32,
            pub kind: super::Kind,
        }
    }
    assert_new_build_misses("persist_types::reordered", || reordered::Model {
        name: "one".into(),
        id: 1,
        kind: Kind::Plain,
    });
}

mod retyped {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    pub struct Model {
        pub id: u64,
        pub name: String,
        pub kind: super::Kind,
    }
}

fn retyped_model() -> retyped::Model {
    retyped::Model {
        id: 1,
        name: "one".into(),
        kind: Kind::Plain,
    }
}

/// `u32` to `u64` is the dangerous kind: the old bytes decode as the new type without an
/// error (bincode writes both as the same varint), into the old value.
#[test]
fn a_field_retyped_is_a_miss_even_where_the_old_bytes_would_decode() {
    let path = "persist_types::retyped";
    assert_new_build_misses(path, retyped_model);
    // Show the danger: the old build's payload decodes as the new type without complaint.
    let old_payload = fncache_runtime::codec::encode(&old()).unwrap();
    let decoded: retyped::Model = fncache_runtime::codec::decode(&old_payload).unwrap();
    assert_eq!(decoded.name, "seven");
    // And the entry file is the new build's, whose payload is the new value.
    let key = KeyWriter::new().arg(&1u8).finish();
    let file = DiskStorage::new(root()).entry_path(&Entry::new(
        Function::of(&FnId::new(path, "c0de")),
        key.digest(),
    ));
    let record = fs::read(file).unwrap();
    let stored: retyped::Model =
        fncache_runtime::codec::decode_stored(&record[HEADER_LEN..]).unwrap();
    assert_eq!(stored, retyped_model());
}

#[test]
fn a_variant_changed_in_a_nested_enum_is_a_miss() {
    // The change is in a variant the old value does not even use.
    mod wider {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub enum Kind {
            Plain,
            Tagged(Vec<String>),
        }
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub struct Model {
            pub id: u32,
            pub name: String,
            pub kind: Kind,
        }
    }
    assert_new_build_misses("persist_types::variant", || wider::Model {
        id: 1,
        name: "one".into(),
        kind: wider::Kind::Plain,
    });
}

/// A type whose shape cannot be traced (its `Deserialize` accepts no sample the tracer has)
/// has no fingerprint. Tied to the build (no `version = ..`) it is persisted all the same: one
/// executable's types cannot change under its entries. With `version = ..`, a rebuild could
/// not tell an old entry of it from a new one, so it stays in memory, with one warning.
#[test]
fn a_type_without_a_fingerprint_persists_only_when_tied_to_the_build() {
    #[derive(Serialize, Debug, PartialEq)]
    struct Versioned(String);

    impl<'de> serde::Deserialize<'de> for Versioned {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            if s.starts_with("v=") {
                Ok(Versioned(s))
            } else {
                Err(serde::de::Error::custom("expected `v=...`"))
            }
        }
    }

    root();
    for (id, persisted, expected_warnings) in [
        (FnId::new("persist_types::untraceable", "c0de"), true, 0),
        (
            FnId::new("persist_types::untraceable_versioned", "c0de").versioned("1"),
            false,
            1,
        ),
    ] {
        let cache: &'static DataCache = Box::leak(Box::new(DataCache::new(id)));
        let runs = Cell::new(0);
        let get = || {
            cache.get(
                || Options::new().persist(true),
                fncache_runtime::codec::Exact::by_serialization(),
                KeyWriter::new().finish(),
                || {
                    runs.set(runs.get() + 1);
                    Versioned("v=1".into())
                },
            )
        };
        let ((a, b), warnings) = count_warnings(|| (get(), get()));
        assert_eq!((a, b), (Versioned("v=1".into()), Versioned("v=1".into())));
        assert_eq!(runs.get(), 1);
        assert_eq!(warnings, expected_warnings, "{id:?}");
        let dir = DiskStorage::new(root()).function_dir(&Function::of(&id));
        assert_eq!(!entries(&dir).is_empty(), persisted, "{id:?}");
    }
}
