//! The traits the generated code requires, so that a missing impl is reported in our words, on
//! the user's type, rather than as a bare `Serialize` bound deep inside the runtime.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A parameter type that can go into a cache key: anything `serde::Serialize`.
#[diagnostic::on_unimplemented(
    message = "the parameter type `{Self}` cannot be hashed into a cache key",
    label = "`{Self}` does not implement `serde::Serialize`",
    note = "derive or implement `serde::Serialize` for `{Self}`, or prefix the parameter's name with `_` to leave it out of the cache key"
)]
pub trait Hashable: Serialize {}

impl<T: ?Sized + Serialize> Hashable for T {}

/// A method's receiver that can go into a cache key.
#[diagnostic::on_unimplemented(
    message = "the receiver type `{Self}` cannot be hashed into a cache key",
    label = "`{Self}` does not implement `serde::Serialize`",
    note = "a cached method's key holds `self`, so that two instances never share an entry: derive or implement `serde::Serialize` for it, or write `hash_self = false` in the attribute to leave `self` out of the key"
)]
pub trait HashableReceiver: Serialize {}

impl<T: ?Sized + Serialize> HashableReceiver for T {}

/// What a `#[hash_with(path)]` function returns, which goes into the key instead of the parameter.
#[diagnostic::on_unimplemented(
    message = "`#[hash_with]` returned `{Self}`, which cannot be hashed into a cache key",
    label = "`{Self}` does not implement `serde::Serialize`",
    note = "the function given to `#[hash_with(..)]` must return a `serde::Serialize` value that identifies the parameter (an id, a name, a version)"
)]
pub trait HashableWith: Serialize {}

impl<T: ?Sized + Serialize> HashableWith for T {}

/// A return type that `#[cache_data]` can store: it is encoded on the way in and decoded into a
/// fresh value on every hit.
#[diagnostic::on_unimplemented(
    message = "`#[cache_data]` cannot store `{Self}`: it must implement `serde::Serialize` and `serde::de::DeserializeOwned`",
    label = "`{Self}` is not serializable",
    note = "cached data is stored serialized, so that every caller gets its own fresh copy",
    note = "for connections, models, clients and other values that cannot be serialized, use `#[cache_resource]`, which shares one `Arc` instead"
)]
pub trait CacheData: Serialize + DeserializeOwned {}

impl<T: Serialize + DeserializeOwned> CacheData for T {}

/// A type that `#[cache_resource]` can share between threads.
#[diagnostic::on_unimplemented(
    message = "`#[cache_resource]` cannot share `{Self}` between threads: it must be `Send + Sync + 'static`",
    label = "`{Self}` is not `Send + Sync + 'static`",
    note = "one cached value is handed to every caller, on any thread, as an `Arc`; wrap thread-bound parts in a `Mutex`"
)]
pub trait Resource: Send + Sync + 'static {}

impl<T: Send + Sync + 'static> Resource for T {}
