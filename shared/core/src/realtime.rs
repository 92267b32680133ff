//! The realtime protocol: what a tenant's hub receives from publishers, what it sends to sockets,
//! and which sockets want which events. The Durable Object that holds the sockets is a thin
//! wrapper over this.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Event types pushed to inbox sockets.
pub const MESSAGE_CREATED: &str = "message.created";
pub const MESSAGE_UPDATED: &str = "message.updated";
pub const CONVERSATION_UPDATED: &str = "conversation.updated";
/// A channel's session changed (a gateway connected, dropped, or shows a QR code to scan).
pub const CHANNEL_UPDATED: &str = "channel.updated";
/// Two contacts turned out to be one person: the second is gone, its conversations and
/// identities are the first's.
pub const CONTACT_MERGED: &str = "contact.merged";

/// Conversations a socket can narrow itself to. The subscription travels in the socket's
/// attachment, which the runtime caps at 2 KiB, and an inbox follows a handful at a time anyway.
pub const MAX_SUBSCRIBED_CONVERSATIONS: usize = 50;

/// One event as a publisher hands it to the hub: everything but the sequence number, which only
/// the hub can assign.
#[derive(Debug, Serialize, Deserialize)]
pub struct Unstamped {
    /// Empty for an event of the tenant as a whole, which every socket gets.
    pub conversation_id: String,
    /// A JSON object with at least `type`; the hub adds `seq` in front.
    pub payload: Box<RawValue>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PublishRequest {
    pub events: Vec<Unstamped>,
}

/// `{"seq":N,` followed by the payload's own fields, without parsing the payload again.
pub fn stamp(seq: u64, payload: &RawValue) -> Option<String> {
    let body = payload.get().trim();
    let fields = body.strip_prefix('{')?.trim_start();
    if fields.starts_with('}') {
        return None;
    }
    Some(format!("{{\"seq\":{seq},{fields}"))
}

/// Which conversations a socket follows. Stored with the socket so it survives hibernation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// `None` follows the whole tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<Vec<String>>,
}

impl Subscription {
    pub fn all() -> Self {
        Self::default()
    }

    /// From a comma-separated list, as in `?conversation_id=con_a,con_b`.
    pub fn from_list(list: Option<&str>) -> Result<Self, String> {
        let Some(list) = list.map(str::trim).filter(|l| !l.is_empty()) else {
            return Ok(Self::all());
        };
        let ids: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(String::from)
            .collect();
        Self::only(ids)
    }

    pub fn only(mut ids: Vec<String>) -> Result<Self, String> {
        if ids.len() > MAX_SUBSCRIBED_CONVERSATIONS {
            return Err(format!(
                "at most {MAX_SUBSCRIBED_CONVERSATIONS} conversations per socket"
            ));
        }
        ids.sort();
        ids.dedup();
        Ok(Self {
            conversations: Some(ids),
        })
    }

    pub fn wants(&self, conversation_id: &str) -> bool {
        match &self.conversations {
            None => true,
            Some(_) if conversation_id.is_empty() => true,
            Some(ids) => ids
                .binary_search_by(|id| id.as_str().cmp(conversation_id))
                .is_ok(),
        }
    }
}

/// What a client may send on its socket. (`ping` is answered by the runtime without waking the hub.)
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientCommand {
    /// Narrow the socket to these conversations, or widen it to the whole tenant with `null`.
    Subscribe {
        #[serde(default)]
        conversation_ids: Option<Vec<String>>,
    },
}

impl ClientCommand {
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| {
            format!("expected {{\"type\":\"subscribe\",\"conversation_ids\":[…]|null}}: {e}")
        })
    }
}

/// Sent on connect and after each `subscribe`: the tenant's current sequence number, so a client
/// that reconnects can tell whether it missed events and must re-fetch.
pub fn ready_frame(kind: &str, seq: u64, subscription: &Subscription) -> String {
    serde_json::json!({
        "type": kind,
        "seq": seq,
        "conversation_ids": subscription.conversations,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).expect("valid JSON")
    }

    #[test]
    fn stamping_puts_the_sequence_first_and_keeps_the_payload() {
        let stamped = stamp(
            42,
            &raw(r#"{"type":"message.created","message":{"id":"m"}}"#),
        )
        .expect("stamped");
        assert_eq!(
            stamped,
            r#"{"seq":42,"type":"message.created","message":{"id":"m"}}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&stamped).expect("valid JSON");
        assert_eq!(parsed["seq"], 42);
    }

    #[test]
    fn stamping_refuses_what_is_not_a_non_empty_object() {
        assert_eq!(stamp(1, &raw("{}")), None);
        assert_eq!(stamp(1, &raw(" { } ")), None);
        assert_eq!(stamp(1, &raw("[1]")), None);
        assert_eq!(stamp(1, &raw("\"x\"")), None);
    }

    #[test]
    fn a_subscription_follows_everything_or_only_its_conversations() {
        let all = Subscription::from_list(None).expect("ok");
        assert!(all.wants("con_x"));
        let blank = Subscription::from_list(Some(" ")).expect("ok");
        assert_eq!(blank, Subscription::all());
        let some = Subscription::from_list(Some("con_b, con_a,,con_b")).expect("ok");
        assert_eq!(
            some.conversations,
            Some(vec!["con_a".to_string(), "con_b".to_string()])
        );
        assert!(some.wants("con_a") && some.wants("con_b"));
        assert!(!some.wants("con_c"));
        assert!(
            some.wants(""),
            "events of the whole tenant reach narrowed sockets"
        );
        let empty = Subscription::only(vec![]).expect("ok");
        assert!(!empty.wants("con_a"));
    }

    #[test]
    fn too_many_conversations_are_refused() {
        let ids = (0..=MAX_SUBSCRIBED_CONVERSATIONS)
            .map(|i| format!("con_{i}"))
            .collect();
        assert!(Subscription::only(ids).is_err());
    }

    #[test]
    fn subscriptions_survive_a_round_trip_through_the_socket_attachment() {
        let s = Subscription::from_list(Some("con_a")).expect("ok");
        let json = serde_json::to_string(&s).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Subscription>(&json).expect("parses"),
            s
        );
        let all = serde_json::to_string(&Subscription::all()).expect("serializes");
        assert_eq!(all, "{}");
    }

    #[test]
    fn client_commands_parse_or_say_what_was_expected() {
        assert_eq!(
            ClientCommand::parse(r#"{"type":"subscribe","conversation_ids":["con_a"]}"#),
            Ok(ClientCommand::Subscribe {
                conversation_ids: Some(vec!["con_a".into()])
            })
        );
        assert_eq!(
            ClientCommand::parse(r#"{"type":"subscribe","conversation_ids":null}"#),
            Ok(ClientCommand::Subscribe {
                conversation_ids: None
            })
        );
        let err = ClientCommand::parse(r#"{"type":"dance"}"#).expect_err("unknown");
        assert!(err.contains("subscribe"));
        assert!(ClientCommand::parse("not json").is_err());
    }

    #[test]
    fn the_ready_frame_reports_the_current_sequence() {
        let frame = ready_frame("ready", 7, &Subscription::all());
        let v: serde_json::Value = serde_json::from_str(&frame).expect("json");
        assert_eq!(v["type"], "ready");
        assert_eq!(v["seq"], 7);
        assert!(v["conversation_ids"].is_null());
    }
}
