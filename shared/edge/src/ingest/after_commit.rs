//! What follows a delivery's commit: its attachments go to media-fetch, files that came inline
//! go into R2, and the tenant's sockets hear of every change. Run after the answer (the
//! webhook receiver hands it to `wait_until`), so none of it delays a provider's `200`, and
//! nothing here may fail the delivery: it is already stored.

use std::rc::Rc;

use worker::{console_error, Env, MessageBuilder};

use super::{inline_media, Committed};
use crate::bindings::MEDIA_QUEUE;
use crate::realtime::Events;
use crate::store::channels::{public_view, OpenedChannel};
use crate::store::media::MediaJob;
use crate::store::read::{self, Message};
use crate::store::{self, merges};

/// `listening`: whether the tenant has sockets to tell; `label` names the delivery in logs.
pub async fn finish(
    env: Env,
    channel: Rc<OpenedChannel>,
    committed: Committed,
    listening: bool,
    label: String,
) {
    let db = match store::db(&env) {
        Ok(db) => db,
        Err(e) => return console_error!("after {label}: {e:?}"),
    };
    let write = &committed.write;
    enqueue_media(&env, &write.media_jobs).await;
    let stored_inline = inline_media::store(&env, &db, &channel, &write.inline_media).await;
    if !listening {
        return;
    }
    let tenant_id = channel.record.tenant_id.as_str();
    let changes = match write.changes(&db, tenant_id, &committed.results).await {
        Ok(changes) => changes,
        Err(e) => return console_error!("reading back the changes of {label}: {e:?}"),
    };
    let mut events = Events::default();
    for message in &changes.created {
        let conversation = changes
            .conversations
            .iter()
            .find(|c| c.id == message.conversation_id);
        events.message_created(message, conversation);
    }
    for message in &changes.updated {
        events.message_updated(message);
    }
    for message in read_messages(&db, tenant_id, &stored_inline).await {
        events.message_updated(&message);
    }
    if let Some(at) = write.merges_at {
        match merges::contacts_merged_at(&db, tenant_id, at).await {
            Ok(merged) => merged
                .iter()
                .for_each(|m| events.contact_merged(&m.new_id, &m.old_id)),
            Err(e) => console_error!("reading the merges of {label}: {e:?}"),
        }
    }
    // Every socket of the tenant gets it, agents' too: it carries no webhook URL.
    if let Some((state, at)) = &changes.connection {
        let view = public_view(&channel.record, None, Some((state, *at)));
        events.channel_updated(&channel.record.id, &view);
    }
    events.publish(&env, tenant_id).await;
}

/// Hands the new attachments to media-fetch. A queue that fails is logged: the attachment stays
/// `pending` and can be retried.
async fn enqueue_media(env: &Env, jobs: &[MediaJob]) {
    if jobs.is_empty() {
        return;
    }
    let sent = match env.queue(MEDIA_QUEUE) {
        Ok(queue) => queue
            .send_batch(
                jobs.iter()
                    .cloned()
                    .map(MessageBuilder::new)
                    .map(|b| b.build())
                    .collect::<Vec<_>>(),
            )
            .await
            .map_err(|e| e.to_string()),
        Err(_) => Err(format!("binding {MEDIA_QUEUE} is missing")),
    };
    if let Err(e) = sent {
        console_error!("could not queue {} media copies: {e}", jobs.len());
    }
}

/// The messages whose inline files were just stored, as they are now.
async fn read_messages(db: &worker::D1Database, tenant_id: &str, ids: &[String]) -> Vec<Message> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match read::message(db, tenant_id, id).await {
            Ok(Some(message)) => out.push(message),
            Ok(None) => {}
            Err(e) => console_error!("reading message {id}: {e:?}"),
        }
    }
    out
}
