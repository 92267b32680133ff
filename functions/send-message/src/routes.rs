//! The API's routes as data: which endpoint a method and path reach. Kept apart from running
//! them so that a path's other methods can be named in a 405's `Allow`. The isolation matrix
//! reads the arms below (tests/e2e/isolation-routes.mjs): keep one `(Method::X, [...])` each.

use worker::Method;

/// One endpoint of the tenant API, with the ids its path carries.
pub enum Route<'a> {
    MintToken,
    CreateChannel,
    ListChannels,
    GetChannel(&'a str),
    ChannelTemplates(&'a str),
    ConnectChannel(&'a str),
    ListConversations,
    ConversationCounts,
    OpenConversation,
    GetConversation(&'a str),
    UpdateConversation(&'a str),
    MarkRead(&'a str),
    ConversationMessages(&'a str),
    Send,
    GetMessage(&'a str),
    Upload,
    RetryMedia(&'a str),
    DeadLetters,
    ListContacts,
    GetContact(&'a str),
    UpdateContact(&'a str),
    MergeContact(&'a str),
    ContactConversations(&'a str),
    WebhookEvents,
    ReplayWebhookEvent(&'a str),
}

/// The methods the API answers anywhere, in the order `Allow` lists them.
const METHODS: [Method; 4] = [Method::Get, Method::Post, Method::Patch, Method::Delete];

pub fn route<'a>(method: &Method, path: &[&'a str]) -> Option<Route<'a>> {
    use Route::*;
    Some(match (method, path) {
        (Method::Post, ["v1", "tokens"]) => MintToken,
        (Method::Post, ["v1", "channels"]) => CreateChannel,
        (Method::Get, ["v1", "channels"]) => ListChannels,
        (Method::Get, ["v1", "channels", id]) => GetChannel(id),
        (Method::Get, ["v1", "channels", id, "templates"]) => ChannelTemplates(id),
        (Method::Post, ["v1", "channels", id, "connect"]) => ConnectChannel(id),
        (Method::Get, ["v1", "conversations"]) => ListConversations,
        (Method::Post, ["v1", "conversations"]) => OpenConversation,
        (Method::Get, ["v1", "conversations", "counts"]) => ConversationCounts,
        (Method::Get, ["v1", "conversations", id]) => GetConversation(id),
        (Method::Patch, ["v1", "conversations", id]) => UpdateConversation(id),
        (Method::Post, ["v1", "conversations", id, "read"]) => MarkRead(id),
        (Method::Get, ["v1", "conversations", id, "messages"]) => ConversationMessages(id),
        (Method::Post, ["v1", "messages"]) => Send,
        (Method::Get, ["v1", "messages", id]) => GetMessage(id),
        (Method::Post, ["v1", "media"]) => Upload,
        (Method::Post, ["v1", "messages", id, "media", "retry"]) => RetryMedia(id),
        (Method::Get, ["v1", "dead-letters"]) => DeadLetters,
        (Method::Get, ["v1", "contacts"]) => ListContacts,
        (Method::Get, ["v1", "contacts", id]) => GetContact(id),
        (Method::Patch, ["v1", "contacts", id]) => UpdateContact(id),
        (Method::Post, ["v1", "contacts", id, "merge"]) => MergeContact(id),
        (Method::Get, ["v1", "contacts", id, "conversations"]) => ContactConversations(id),
        (Method::Get, ["v1", "webhook-events"]) => WebhookEvents,
        (Method::Post, ["v1", "webhook-events", id, "replay"]) => ReplayWebhookEvent(id),
        _ => return None,
    })
}

/// The methods `path` answers, as an `Allow` header's value; `None` when it is no endpoint.
pub fn allowed(path: &[&str]) -> Option<String> {
    let methods: Vec<&str> = METHODS
        .iter()
        .filter(|method| route(method, path).is_some())
        .map(|method| method.as_ref())
        .collect();
    (!methods.is_empty()).then(|| methods.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_every_method_it_answers_and_an_unknown_one_none() {
        assert_eq!(allowed(&["v1", "channels"]).as_deref(), Some("GET, POST"));
        assert_eq!(
            allowed(&["v1", "conversations", "con_1"]).as_deref(),
            Some("GET, PATCH")
        );
        assert_eq!(
            allowed(&["v1", "contacts", "ct_1", "merge"]).as_deref(),
            Some("POST")
        );
        assert_eq!(
            allowed(&["v1", "conversations", "counts"]).as_deref(),
            Some("GET, PATCH")
        );
        assert_eq!(allowed(&["v1", "contacts", "ct_1", "nothing"]), None);
        assert_eq!(allowed(&["v1"]), None);
    }
}
