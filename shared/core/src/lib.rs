//! Ponte's runtime-agnostic core.
//!
//! Everything here is plain Rust with no dependency on `worker`, so it is tested natively with
//! `cargo test` and shared by every function. Provider adapters turn raw webhook bytes into the
//! normalized [`model`]; the D1 glue lives in `ponte-edge`.

pub mod auth;
pub mod batching;
pub mod contact_fields;
pub mod cursor;
pub mod identity;
pub mod ids;
pub mod keyring;
pub mod media;
pub mod model;
pub mod multipart;
pub mod outbound;
pub mod providers;
pub mod realtime;
pub mod retry;
pub mod secrets;
pub mod signature;
pub mod status;
