//! Who a message is from: phone numbers and the identity aliases that point at one contact.
//!
//! A contact is not its phone number. WhatsApp's `wa_id`, the E.164 number, Meta's business-scoped
//! user id (BSUID) and, for Brazil, the number with and without the ninth digit are all aliases of
//! one contact, unique per tenant. Aliases are plain strings `kind:value` so that one indexed
//! `IN (...)` lookup finds the contact whatever the provider gave us.

mod brazil;
mod calling_code;
mod error;
mod keys;
mod national;
mod phone;
mod readable;
mod written;

pub use calling_code::CallingCode;
pub use error::PhoneError;
pub use keys::{avatar_url, stored_identity, ContactRef, IdentityKey, MAX_IDENTITY_KEYS};
pub use phone::PhoneNumber;
pub use readable::Readable;
pub use written::WrittenNumber;
