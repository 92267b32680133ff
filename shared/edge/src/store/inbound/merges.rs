//! One person, one contact: a message whose keys two contacts hold shows they are one person,
//! and the batch merges the other into the contact of the message's first key (which the
//! arrival has just given every key it lacked). migrations/0016_contact_merges.sql does the
//! merge; an `INSERT … SELECT` that finds no second contact fires nothing, so the common case
//! costs two index probes.

use worker::{D1Database, D1PreparedStatement};

use super::Target;
use crate::problem::ApiError;
use crate::store::{int, text};

const MERGE_BY_KEYS: &str = "INSERT INTO contact_merges (tenant_id, survivor_id, other_id, at) \
     SELECT ?1, s.contact_id, o.contact_id, ?4 FROM contact_identities s, contact_identities o \
     WHERE s.tenant_id = ?1 AND s.identity = ?2 AND o.tenant_id = ?1 AND o.identity = ?3 \
     AND o.contact_id <> s.contact_id";

/// The merges each key after the first may call for, once per distinct key set of the batch.
pub(super) fn merge_statements<'k>(
    db: &D1Database,
    to: &Target,
    key_sets: impl Iterator<Item = &'k [String]>,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let mut seen: Vec<&[String]> = Vec::new();
    let mut out = Vec::new();
    for keys in key_sets {
        if keys.len() < 2 || seen.contains(&keys) {
            continue;
        }
        seen.push(keys);
        for other in &keys[1..] {
            out.push(db.prepare(MERGE_BY_KEYS).bind(&[
                text(to.tenant_id),
                text(&keys[0]),
                text(other),
                int(to.received_at),
            ])?);
        }
    }
    Ok(out)
}

/// Merges `other` into `survivor`, as an agent asked.
pub fn merge_statement(
    db: &D1Database,
    tenant_id: &str,
    survivor: &str,
    other: &str,
    at: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare("INSERT INTO contact_merges (tenant_id, survivor_id, other_id, at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[text(tenant_id), text(survivor), text(other), int(at)])?)
}
