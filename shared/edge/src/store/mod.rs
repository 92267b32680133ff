//! D1 access. Every statement is a constant with bound parameters; every query filters by tenant.

pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod counts;
pub mod dead_letters;
pub mod inbound;
pub mod media;
pub mod merges;
pub mod outbound;
pub mod presence;
pub mod read;
pub mod recipients;
pub mod reseal;
pub mod retention;
pub mod search_index;
pub mod send_recovery;
pub mod tenants;
pub mod webhook_events;

use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use crate::bindings::DB;
use crate::problem::ApiError;

pub fn db(env: &Env) -> Result<D1Database, ApiError> {
    env.d1(DB)
        .map_err(|e| ApiError::internal(format!("binding {DB}: {e}")))
}

pub(crate) fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

pub(crate) fn opt_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// D1's own integer binding is 32-bit; milliseconds need the full f64 range (exact to 2^53).
pub(crate) fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

pub(crate) fn opt_int(value: Option<i64>) -> JsValue {
    value.map_or(JsValue::NULL, int)
}
