//! Provider adapters: each turns a provider's webhook bytes into an [`crate::model::InboundBatch`].

pub mod meta;
