//! Worker glue shared by Ponte's functions: bindings, errors as problem+json, authentication and
//! the D1 store. The pure logic it calls lives in `ponte-core`.

pub mod auth;
pub mod bindings;
pub mod channel_cache;
pub mod form_upload;
pub mod http;
pub mod ingest;
pub mod media_links;
pub mod problem;
pub mod provider_http;
pub mod r2_stream;
pub mod realtime;
pub mod store;

/// Milliseconds since the epoch, from the runtime's clock.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
