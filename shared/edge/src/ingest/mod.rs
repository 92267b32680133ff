//! Storing one normalized delivery, for the webhook receiver (a provider's delivery as it
//! arrives) and for the API's replay of a stored one: its statements in as few D1 batches as
//! D1's limits allow, exactly once however often it comes, then what follows the commit (media
//! copies, inline files, realtime events), which never changes the answer.

mod after_commit;
mod inline_media;

use ponte_core::batching;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::bindings::{number_var, D1_BATCH_MAX_STATEMENTS};
use crate::store::inbound::InboundWrite;

pub use after_commit::finish;

/// Statements per D1 batch unless `D1_BATCH_MAX_STATEMENTS` says otherwise. One batch is one
/// transaction, bounded by D1's limits on a call's size and its 30 s; an ordinary delivery is
/// a handful of statements, so only the rare large one is split.
pub const DEFAULT_BATCH_STATEMENTS: u64 = 100;

pub fn max_statements(env: &Env) -> usize {
    number_var(env, D1_BATCH_MAX_STATEMENTS, DEFAULT_BATCH_STATEMENTS).clamp(2, 1000) as usize
}

/// A delivery whose statements all committed.
pub struct Committed {
    pub write: InboundWrite,
    /// What the lead statement (the event log's row) returned.
    pub lead: D1Result,
    /// The results of `write`'s statements, in their order.
    pub results: Vec<D1Result>,
}

/// Runs `write`'s statements in batches of at most `max_statements`, never cutting a unit that
/// must commit together. Every statement is idempotent (a message is stored once per provider
/// id, a status only moves forward), so when a later batch fails after earlier ones committed,
/// the provider's redelivery completes the delivery without doubling anything. `lead` runs
/// first in the last batch: the event row says stored only once everything is, and reads the
/// tenant's presence in the same transaction as the last writes.
pub async fn commit(
    db: &D1Database,
    mut write: InboundWrite,
    lead: D1PreparedStatement,
    max_statements: usize,
) -> worker::Result<Committed> {
    let statements = std::mem::take(&mut write.statements);
    let ranges = batching::plan(&write.unit_starts, statements.len(), max_statements);
    let mut results = Vec::with_capacity(statements.len());
    let mut statements = statements.into_iter();
    let batches = ranges.len().max(1);
    let mut lead = Some(lead);
    let mut lead_result = None;
    for index in 0..batches {
        let size = ranges.get(index).map_or(0, |range| range.len());
        let mut batch: Vec<D1PreparedStatement> = Vec::with_capacity(size + 1);
        let is_last = index + 1 == batches;
        if is_last {
            batch.extend(lead.take());
        }
        batch.extend(statements.by_ref().take(size));
        let mut answered = db.batch(batch).await?.into_iter();
        if is_last {
            lead_result = answered.next();
        }
        results.extend(answered);
    }
    let lead = lead_result.ok_or_else(|| worker::Error::RustError("empty batch result".into()))?;
    Ok(Committed {
        write,
        lead,
        results,
    })
}
