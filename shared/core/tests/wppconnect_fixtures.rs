//! The WPPConnect adapter against webhook bodies written from WPPConnect Server's documented
//! format (`shared/docs/providers.md` §3d, `tests/fixtures/wppconnect/`), through the seam:
//! `Provider::open` then `Channel::normalize`.

use std::path::PathBuf;

use ponte_core::model::{Content, Direction, InboundBatch, InteractiveReply, Media, Sender};
use ponte_core::providers::wppconnect::WppConnect;
use ponte_core::providers::{
    provider, Channel, ConnectionState, ConnectionUpdate, Provider, Qr, WebhookRequest,
};
use ponte_core::status::DeliveryStatus;
use serde_json::{json, Value};

const NOW_MS: i64 = 1_800_000_000_000;
const ANA: [&str; 2] = ["phone:+5511987654321", "wa:5511987654321"];

fn channel_with(include_groups: bool) -> Box<dyn Channel> {
    WppConnect
        .open(
            json!({"base_url": "http://127.0.0.1:21465/", "session": "ponte-loja",
                   "include_groups": include_groups}),
            json!({"token": "$2b$10$Zk0uQeXamPle"}),
        )
        .unwrap()
}

fn channel() -> Box<dyn Channel> {
    channel_with(false)
}

fn fixture_json(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/wppconnect")
        .join(format!("{name}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

fn normalize_bytes(channel: &dyn Channel, body: &[u8]) -> Result<InboundBatch, String> {
    let request = WebhookRequest {
        method: "POST",
        url: "https://ponte.example.test/webhooks/wppconnect/tok",
        rest: "",
        query: &[],
        headers: &[],
        body,
        received_at_ms: NOW_MS,
    };
    channel.authenticate(&request).map_err(|e| e.0)?;
    channel.normalize(&request).map_err(|e| e.0)
}

fn normalize_value(channel: &dyn Channel, body: &Value) -> InboundBatch {
    normalize_bytes(channel, body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn parse(name: &str) -> InboundBatch {
    normalize_value(channel().as_ref(), &fixture_json(name))
}

fn only_content(name: &str) -> Content {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}: {batch:?}");
    batch.messages[0].content.clone()
}

fn only_media(name: &str) -> Media {
    only_content(name)
        .media()
        .cloned()
        .unwrap_or_else(|| panic!("{name} has no media"))
}

#[test]
fn the_provider_is_registered_under_its_name() {
    let found = provider("wppconnect").expect("registered");
    assert_eq!(found.name(), "wppconnect");
    let caps = found.capabilities();
    assert!(caps.statuses && caps.reactions && caps.read_receipts && caps.session);
    assert!(caps.media_by_link && caps.location);
    assert!(!caps.service_window && !caps.templates);
    assert!(found.webhook_headers().is_empty());
}

#[test]
fn text_keeps_id_contact_name_and_time_in_ms() {
    let batch = parse("text");
    assert_eq!(batch.messages.len(), 1);
    let m = &batch.messages[0];
    assert_eq!(
        m.provider_message_id,
        "false_5511987654321@c.us_3EB0C767D26A1D8A8F31"
    );
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.contact.identity_keys(), ANA);
    assert_eq!(m.contact.name.as_deref(), Some("Ana Souza"));
    assert_eq!(
        m.contact.avatar_url.as_deref(),
        Some("https://pps.whatsapp.net/v/t61.24694-24/421557962_n.jpg?oh=01_Q5AaIC&oe=66A1B2C3")
    );
    assert_eq!(m.timestamp_ms, 1_717_600_000_000);
    assert_eq!(
        m.content,
        Content::Text {
            body: "Oi, tudo bem? Quero saber do pedido 123 🙂".into()
        }
    );
    assert_eq!(m.context, None);
    assert_eq!(m.sender, None);
    assert!(batch.statuses.is_empty() && batch.ignored.is_empty());
    assert!(batch.deletions.is_empty() && batch.connection.is_none());
}

#[test]
fn a_number_registered_without_the_ninth_digit_is_stored_with_it() {
    let m = &parse("text_without_ninth_digit").messages[0];
    assert_eq!(
        m.contact.identity_keys(),
        ["phone:+5531988887777", "wa:553188887777"]
    );
    // No notifyName: the sender's pushname names them.
    assert_eq!(m.contact.name.as_deref(), Some("Carlos Mendes"));
}

#[test]
fn a_linked_id_chat_brings_the_phone_when_whatsapp_knows_it() {
    let m = &parse("text_lid").messages[0];
    assert_eq!(
        m.contact.identity_keys(),
        [
            "phone:+5521998765432",
            "wa:5521998765432",
            "lid:207289437843681@lid"
        ]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Dani"));

    let bare = &parse("text_lid_without_phone").messages[0];
    assert_eq!(bare.contact.identity_keys(), ["lid:118459305619631@lid"]);
    assert_eq!(
        bare.provider_message_id,
        "false_118459305619631@lid_3EB0FF00112233445566"
    );
}

#[test]
fn the_businesss_own_message_is_outbound_to_the_contact_without_its_profile() {
    let m = &parse("echo_text").messages[0];
    assert_eq!(
        m.provider_message_id,
        "true_5511987654321@c.us_3EB0A1F2C3D4E5F60718"
    );
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.contact.identity_keys(), ANA);
    assert_eq!(
        m.contact.name, None,
        "notifyName is the business's own name"
    );
    assert_eq!(
        m.contact.avatar_url, None,
        "and the sender's picture its own"
    );
    assert_eq!(
        m.content,
        Content::Text {
            body: "Temos o modelo azul".into()
        }
    );

    // `fromMe` may be missing: the id says it, and the contact is then `to`.
    let mut bare = fixture_json("echo_text");
    bare.as_object_mut().unwrap().remove("fromMe");
    bare.as_object_mut().unwrap().remove("chatId");
    let m = &normalize_value(channel().as_ref(), &bare).messages[0];
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.contact.identity_keys(), ANA);
}

#[test]
fn media_keeps_a_link_and_metadata_never_the_base64_body() {
    let image = only_media("image");
    assert_eq!(
        image,
        Media {
            id: None,
            url: Some("https://mmg.whatsapp.net/v/t62.7118-24/24731519_1032885728_n.enc?ccb=11-4&oh=01_Q5AaIB&oe=66C0FFEE&_nc_sid=5e03e0&mms3=true".into()),
            mime_type: Some("image/jpeg".into()),
            sha256: Some("2pMOa0Yb0m0W7Qe9p6mFf3kq8O2dXvV1Jm5o5t4r6uE=".into()),
            caption: Some("Foto do produto".into()),
            filename: None,
            voice: None,
            animated: None,
            inline_base64: None,
        }
    );
    assert!(matches!(only_content("image"), Content::Image(_)));

    let Content::Video(video) = only_content("video_s3") else {
        panic!("video")
    };
    assert_eq!(
        video.url.as_deref(),
        Some("https://ponteloja.s3.amazonaws.com/9f2c1e7a4b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f506.mp4"),
        "the server's S3 copy beats WhatsApp's encrypted URL"
    );
    assert_eq!(video.caption.as_deref(), Some("unboxing"));

    let Content::Audio(audio) = only_content("audio") else {
        panic!("audio")
    };
    assert_eq!(audio.voice, Some(false));
    assert_eq!(audio.mime_type.as_deref(), Some("audio/mpeg"));
    let Content::Audio(voice) = only_content("ptt") else {
        panic!("ptt")
    };
    assert_eq!(voice.voice, Some(true));
    assert_eq!(voice.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));

    let Content::Document(doc) = only_content("document") else {
        panic!("document")
    };
    assert_eq!(doc.filename.as_deref(), Some("comprovante-junho.pdf"));
    assert_eq!(doc.caption.as_deref(), Some("Segue o comprovante"));
    assert_eq!(doc.mime_type.as_deref(), Some("application/pdf"));

    let Content::Sticker(sticker) = only_content("sticker") else {
        panic!("sticker")
    };
    assert_eq!(sticker.animated, Some(true));
    assert_eq!(sticker.mime_type.as_deref(), Some("image/webp"));

    for name in ["image", "ptt", "document", "sticker", "video_s3"] {
        let stored = format!("{:?}", parse(name).messages);
        assert!(!stored.contains("/9j/4AAQ"), "{name} kept its thumbnail");
        assert!(!stored.contains("T2dnUw"), "{name} kept the file's base64");
    }
}

#[test]
fn a_data_url_is_inline_content_not_a_link() {
    let mut image = fixture_json("image");
    image["fileUrl"] = json!("data:image/jpeg;base64,/9j/4AAQSkZJRg");
    image["deprecatedMms3Url"] = Value::Null;
    let batch = normalize_value(channel().as_ref(), &image);
    assert_eq!(batch.messages[0].content.media().unwrap().url, None);
}

#[test]
fn location_splits_its_place_into_name_and_address() {
    assert_eq!(
        only_content("location"),
        Content::Location {
            latitude: -23.5613,
            longitude: -46.6565,
            name: Some("Avenida Paulista".into()),
            address: Some("Av. Paulista, 1578 - Bela Vista, São Paulo - SP".into()),
            url: None,
        }
    );
    let mut pin = fixture_json("location");
    pin["loc"] = Value::Null;
    let batch = normalize_value(channel().as_ref(), &pin);
    assert!(matches!(
        batch.messages[0].content,
        Content::Location {
            name: None,
            address: None,
            ..
        }
    ));
}

#[test]
fn contact_cards_are_kept_as_sent() {
    let Content::Contacts { contacts } = only_content("vcard") else {
        panic!("vcard")
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["displayName"], "Joana Lima");
    assert!(contacts[0]["vcard"]
        .as_str()
        .unwrap()
        .contains("waid=5511912340000"));

    let Content::Contacts { contacts } = only_content("multi_vcard") else {
        panic!("multi_vcard")
    };
    assert_eq!(
        contacts,
        fixture_json("multi_vcard")["vcardList"]
            .as_array()
            .unwrap()
            .clone()
    );
}

#[test]
fn list_and_button_answers_are_interactive_replies() {
    assert_eq!(
        only_content("list_response"),
        Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: "plano_familia".into(),
                title: "Plano Família".into(),
                description: Some("Até 5 pessoas".into()),
            }
        }
    );
    assert_eq!(
        only_content("buttons_response"),
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "confirmar".into(),
                title: "Confirmar pedido".into(),
            }
        }
    );
    assert_eq!(
        only_content("template_button_reply"),
        Content::Button {
            payload: "rastrear_pedido".into(),
            text: "Rastrear pedido".into(),
        }
    );
    let mut no_row = fixture_json("list_response");
    no_row["listResponse"]["singleSelectReply"] = Value::Null;
    let batch = normalize_value(channel().as_ref(), &no_row);
    assert_eq!(
        batch.messages[0].content,
        Content::Unsupported {
            original_type: "list_response".into(),
            errors: vec![]
        }
    );
}

#[test]
fn types_ponte_does_not_model_are_kept_as_unsupported() {
    assert_eq!(
        only_content("poll_creation"),
        Content::Unsupported {
            original_type: "poll_creation".into(),
            errors: vec![]
        }
    );
    let mut untyped = fixture_json("text");
    untyped.as_object_mut().unwrap().remove("type");
    let batch = normalize_value(channel().as_ref(), &untyped);
    assert_eq!(
        batch.messages[0].content,
        Content::Unsupported {
            original_type: "unknown".into(),
            errors: vec![]
        }
    );
}

#[test]
fn a_reply_is_keyed_to_the_quoted_messages_serialized_id() {
    let m = &parse("reply").messages[0];
    let context = m.context.as_ref().expect("context");
    assert_eq!(
        context.message_id.as_deref(),
        Some("true_5511987654321@c.us_3EB0A1F2C3D4E5F60718")
    );
    assert_eq!(context.from.as_deref(), Some("5511955550000"));
    assert!(!context.forwarded);

    // Without quotedMsgId, the stanza id is serialized: the business's number quoted is ours.
    let mut bare = fixture_json("reply");
    bare.as_object_mut().unwrap().remove("quotedMsgId");
    let context = normalize_value(channel().as_ref(), &bare).messages[0]
        .context
        .clone()
        .unwrap();
    assert_eq!(
        context.message_id.as_deref(),
        Some("true_5511987654321@c.us_3EB0A1F2C3D4E5F60718")
    );
    // …and the contact quoting themselves quotes their own message.
    bare["quotedParticipant"] = json!("5511987654321@c.us");
    let context = normalize_value(channel().as_ref(), &bare).messages[0]
        .context
        .clone()
        .unwrap();
    assert_eq!(
        context.message_id.as_deref(),
        Some("false_5511987654321@c.us_3EB0A1F2C3D4E5F60718")
    );
    // quotedMsgObj with an id object is read too.
    bare["quotedMsgObj"] = json!({"id": {"_serialized": "true_5511987654321@c.us_3EB0QUOTED"}});
    let context = normalize_value(channel().as_ref(), &bare).messages[0]
        .context
        .clone()
        .unwrap();
    assert_eq!(
        context.message_id.as_deref(),
        Some("true_5511987654321@c.us_3EB0QUOTED")
    );
}

#[test]
fn a_forwarded_message_says_so_without_a_quote() {
    let mut forwarded = fixture_json("text");
    forwarded["isForwarded"] = json!(true);
    let context = normalize_value(channel().as_ref(), &forwarded).messages[0]
        .context
        .clone()
        .unwrap();
    assert!(context.forwarded);
    assert_eq!(context.message_id, None);
    assert_eq!(context.from, None);
}

#[test]
fn groups_and_broadcasts_are_dropped_unless_the_channel_includes_them() {
    for name in ["group", "broadcast_status"] {
        let batch = parse(name);
        assert!(batch.messages.is_empty(), "{name}");
        assert_eq!(batch.ignored.len(), 1, "{name}");
        assert!(
            batch.ignored[0].contains("not stored"),
            "{}",
            batch.ignored[0]
        );
    }

    let groups = channel_with(true);
    assert!(groups.includes_groups());
    let batch = normalize_value(groups.as_ref(), &fixture_json("group"));
    let m = &batch.messages[0];
    assert_eq!(
        m.provider_message_id,
        "false_120363041234567890@g.us_3A5B7C9D1E2F3A4B5C6D_5511912345678@c.us"
    );
    assert_eq!(m.contact.identity_keys(), ["group:120363041234567890@g.us"]);
    assert_eq!(m.contact.name.as_deref(), Some("Clientes VIP"));
    assert_eq!(
        m.sender,
        Some(Sender {
            id: "5511912345678@c.us".into(),
            phone: Some("+5511912345678".into()),
            name: Some("Bruno".into()),
        })
    );
    assert_eq!(m.direction, Direction::Inbound);

    let batch = normalize_value(groups.as_ref(), &fixture_json("broadcast_status"));
    let m = &batch.messages[0];
    assert_eq!(m.contact.identity_keys(), ["group:status@broadcast"]);
    assert_eq!(
        m.sender.as_ref().map(|s| s.id.as_str()),
        Some("5511987654321@c.us")
    );

    // The business writing in the group: outbound, no member named.
    let mut ours = fixture_json("group");
    ours["id"] = json!("true_120363041234567890@g.us_3EB0OURS");
    ours["fromMe"] = json!(true);
    ours["from"] = json!("5511955550000@c.us");
    ours["to"] = json!("120363041234567890@g.us");
    ours["author"] = json!("5511955550000@c.us");
    let m = &normalize_value(groups.as_ref(), &ours).messages[0];
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.contact.identity_keys(), ["group:120363041234567890@g.us"]);
    assert_eq!(m.sender, None);
}

#[test]
fn acks_of_our_messages_become_statuses() {
    let id = "true_5511987654321@c.us_3EB0A1F2C3D4E5F60718";
    for (name, status) in [
        ("ack_sent", DeliveryStatus::Sent),
        ("ack_delivered", DeliveryStatus::Delivered),
        ("ack_read", DeliveryStatus::Read),
        ("ack_played", DeliveryStatus::Played),
    ] {
        let batch = parse(name);
        assert!(batch.messages.is_empty(), "{name}");
        assert_eq!(batch.statuses.len(), 1, "{name}");
        let s = &batch.statuses[0];
        assert_eq!(s.provider_message_id, id);
        assert_eq!(s.status, status, "{name}");
        assert_eq!(s.recipient_id.as_deref(), Some("5511987654321"));
        // `t` is the message's time, not the ack's.
        assert_eq!(s.timestamp_ms, NOW_MS);
        assert_eq!(s.error, None);
    }
    let failed = &parse("ack_failed").statuses[0];
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.error.as_ref().map(|e| e.code), Some(-1));

    let pending = parse("ack_pending");
    assert!(pending.statuses.is_empty());
    assert_eq!(pending.ignored.len(), 1);

    let mut id_as_string = fixture_json("ack_read");
    id_as_string["id"] = json!(id);
    let batch = normalize_value(channel().as_ref(), &id_as_string);
    assert_eq!(batch.statuses[0].status, DeliveryStatus::Read);
}

#[test]
fn acks_that_say_nothing_of_the_contact_are_ignored() {
    for (ack, why) in [
        (5, "PEER"),
        (-2, "EXPIRED"),
        (-6, "INACTIVE"),
        (9, "unknown"),
    ] {
        let mut body = fixture_json("ack_read");
        body["ack"] = json!(ack);
        let batch = normalize_value(channel().as_ref(), &body);
        assert!(batch.statuses.is_empty(), "{why}");
        assert_eq!(batch.ignored.len(), 1, "{why}");
    }
    // Reading a contact's message changes its ack too; it has no status of ours.
    let mut inbound = fixture_json("ack_read");
    inbound["id"] = json!("false_5511987654321@c.us_3EB0C767D26A1D8A8F31");
    let batch = normalize_value(channel().as_ref(), &inbound);
    assert!(batch.statuses.is_empty());
    assert_eq!(batch.ignored.len(), 1);
    // Our group messages' acks follow the group setting.
    let mut group = fixture_json("ack_read");
    group["id"] = json!("true_120363041234567890@g.us_3EB0OURS");
    assert!(normalize_value(channel().as_ref(), &group)
        .statuses
        .is_empty());
    let kept = normalize_value(channel_with(true).as_ref(), &group);
    assert_eq!(kept.statuses.len(), 1);
    assert_eq!(kept.statuses[0].recipient_id, None);
}

#[test]
fn reactions_name_the_message_reacted_to() {
    let batch = parse("reaction");
    let m = &batch.messages[0];
    assert_eq!(
        m.provider_message_id,
        "false_5511987654321@c.us_3EB0B4F1A2C3D4E5F607"
    );
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.contact.identity_keys(), ANA);
    assert_eq!(
        m.timestamp_ms, 1_717_601_320_123,
        "milliseconds stay milliseconds"
    );
    assert_eq!(
        m.content,
        Content::Reaction {
            message_id: "true_5511987654321@c.us_3EB0A1F2C3D4E5F60718".into(),
            emoji: Some("👍".into()),
        }
    );

    let removed = &parse("reaction_removed").messages[0];
    assert_eq!(removed.timestamp_ms, 1_717_601_380_000);
    assert_eq!(
        removed.content,
        Content::Reaction {
            message_id: "true_5511987654321@c.us_3EB0A1F2C3D4E5F60718".into(),
            emoji: None,
        }
    );
}

#[test]
fn a_group_reaction_names_its_member() {
    let mut body = fixture_json("reaction");
    body["id"] = json!("false_120363041234567890@g.us_3EB0REACT_5511912345678@c.us");
    body["msgId"] = json!("true_120363041234567890@g.us_3EB0OURS");
    assert!(parse_value_is_dropped(&body));
    let m = &normalize_value(channel_with(true).as_ref(), &body).messages[0];
    assert_eq!(m.contact.identity_keys(), ["group:120363041234567890@g.us"]);
    assert_eq!(
        m.sender,
        Some(Sender {
            id: "5511912345678@c.us".into(),
            phone: Some("+5511912345678".into()),
            name: None,
        })
    );
}

fn parse_value_is_dropped(body: &Value) -> bool {
    let batch = normalize_value(channel().as_ref(), body);
    batch.messages.is_empty() && batch.ignored.len() == 1
}

#[test]
fn deletions_name_the_deleted_message() {
    let batch = parse("revoked");
    assert!(batch.messages.is_empty());
    assert_eq!(
        batch.deletions,
        ["false_5511987654321@c.us_3EB0C767D26A1D8A8F31"]
    );
    let mut old = fixture_json("revoked");
    old.as_object_mut().unwrap().remove("protocolMessageKey");
    assert_eq!(
        normalize_value(channel().as_ref(), &old).deletions,
        ["false_5511987654321@c.us_3EB0F9777D7B1A9769CC51"]
    );
    let batch = parse("onrevokedmessage");
    assert_eq!(
        batch.deletions,
        ["false_5511987654321@c.us_3EB03A517496DD7E36279B"]
    );
    assert!(batch.messages.is_empty());
}

#[test]
fn session_events_update_the_connection() {
    let state = |name: &str| parse(name).connection.map(|c| c.state);
    assert_eq!(
        state("status_find_in_chat"),
        Some(ConnectionState::Connected)
    );
    assert_eq!(
        state("status_find_not_logged"),
        Some(ConnectionState::QrRequired)
    );
    assert_eq!(
        state("status_find_disconnected_mobile"),
        Some(ConnectionState::Disconnected)
    );
    assert_eq!(
        state("status_find_init_browser"),
        Some(ConnectionState::Connecting)
    );

    let qr = fixture_json("qrcode");
    assert_eq!(
        parse("qrcode").connection,
        Some(ConnectionUpdate {
            state: ConnectionState::QrRequired,
            qr: Some(Qr {
                code: qr["urlcode"].as_str().map(str::to_string),
                image: Some(format!(
                    "data:image/png;base64,{}",
                    qr["qrcode"].as_str().unwrap()
                )),
            }),
        })
    );
}

#[test]
fn other_sessions_and_other_events_are_ignored_by_name() {
    for (name, reason) in [
        ("other_session", "session ponte-filial"),
        ("presence", "event onpresencechanged"),
        ("incoming_call", "event incomingcall"),
    ] {
        let batch = parse(name);
        assert!(
            batch.messages.is_empty() && batch.statuses.is_empty(),
            "{name}"
        );
        assert_eq!(batch.ignored.len(), 1, "{name}");
        assert!(batch.ignored[0].contains(reason), "{}", batch.ignored[0]);
    }
}

#[test]
fn every_message_event_carries_messages() {
    for event in ["onselfmessage", "onanymessage", "unreadmessages"] {
        let mut body = fixture_json("text");
        body["event"] = json!(event);
        assert_eq!(
            normalize_value(channel().as_ref(), &body).messages.len(),
            1,
            "{event}"
        );
    }
}

#[test]
fn incomplete_messages_are_ignored_never_half_stored() {
    type Change = fn(&mut Value);
    let cases: [(&str, Change); 5] = [
        ("no id", |m| m["id"] = Value::Null),
        ("empty id", |m| m["id"] = json!("")),
        ("no chat", |m| {
            m["from"] = Value::Null;
            m["chatId"] = Value::Null;
            m["id"] = json!("3EB0C767D26A1D8A8F31");
        }),
        ("odd chat", |m| m["chatId"] = json!("someone@example.com")),
        ("not decrypted yet", |m| m["type"] = json!("ciphertext")),
    ];
    for (why, change) in cases {
        let mut body = fixture_json("text");
        change(&mut body);
        let batch = normalize_value(channel().as_ref(), &body);
        assert!(batch.messages.is_empty(), "{why}");
        assert_eq!(batch.ignored.len(), 1, "{why}: {:?}", batch.ignored);
    }
    let mut notice = fixture_json("text");
    notice["type"] = json!("e2e_notification");
    notice["isNotification"] = json!(true);
    assert!(normalize_value(channel().as_ref(), &notice)
        .messages
        .is_empty());
}

#[test]
fn a_missing_time_is_the_time_of_arrival() {
    let mut body = fixture_json("text");
    body["t"] = Value::Null;
    body["timestamp"] = Value::Null;
    assert_eq!(
        normalize_value(channel().as_ref(), &body).messages[0].timestamp_ms,
        NOW_MS
    );
    body["timestamp"] = json!(1_717_600_001);
    assert_eq!(
        normalize_value(channel().as_ref(), &body).messages[0].timestamp_ms,
        1_717_600_001_000
    );
}

#[test]
fn bodies_that_are_not_wppconnect_events_are_malformed_or_ignored_never_a_panic() {
    let channel = channel();
    for malformed in [
        &b"not json"[..],
        b"",
        b"[]",
        b"null",
        b"42",
        b"\"onmessage\"",
        br#"{"event": 7}"#,
        br#"{"event": "onmessage", "session": ["ponte-loja"]}"#,
        br#"{"event": "onmessage", "session": "ponte-loja", "t": "yesterday"}"#,
        br#"{"event": "onmessage", "session": "ponte-loja", "body": {"x": 1}}"#,
        br#"{"event": "onack", "session": "ponte-loja", "ack": "read"}"#,
        br#"{"event": "onreactionmessage", "session": "ponte-loja", "reactionText": 1}"#,
        br#"{"event": "status-find", "session": "ponte-loja", "status": true}"#,
        br#"{"event": "qrcode", "session": "ponte-loja", "qrcode": []}"#,
    ] {
        let text = String::from_utf8_lossy(malformed);
        assert!(
            normalize_bytes(channel.as_ref(), malformed).is_err(),
            "{text}"
        );
    }
    for ignored in [
        json!({}),
        json!({"event": null}),
        json!({"event": "onmessage", "session": "ponte-loja"}),
        json!({"event": "onack", "session": "ponte-loja"}),
        json!({"event": "onack", "session": "ponte-loja", "id": "true_5511987654321@c.us_X"}),
        json!({"event": "onreactionmessage", "session": "ponte-loja", "id": "false_5511@c.us_R"}),
        json!({"event": "onreactionmessage", "session": "ponte-loja",
               "id": "R", "msgId": "M"}),
        json!({"event": "onrevokedmessage", "session": "ponte-loja", "refId": null}),
        json!({"event": "status-find", "session": "ponte-loja"}),
        json!({"event": "onmessage", "session": "ponte-loja", "id": {"fromMe": "yes"}}),
        json!({"event": "x".repeat(10_000), "session": "ponte-loja"}),
    ] {
        let batch = normalize_bytes(channel.as_ref(), ignored.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{ignored}: {e}"));
        assert!(
            batch.messages.is_empty() && batch.statuses.is_empty(),
            "{ignored}"
        );
        assert_eq!(batch.ignored.len(), 1, "{ignored}: {:?}", batch.ignored);
        assert!(batch.ignored[0].chars().count() < 200, "reasons stay short");
    }
}

#[test]
fn every_fixture_passes_the_credential_check() {
    // WPPConnect puts no credential in its webhooks: every body is accepted as it is.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/wppconnect");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(normalize_bytes(channel().as_ref(), &bytes).is_ok());
        count += 1;
    }
    assert!(count >= 30, "{count} fixtures");
}

#[test]
fn a_body_that_is_the_whole_file_rides_to_the_copy_and_a_thumbnail_does_not() {
    // 12 bytes of file: 16 characters of base64, no padding.
    let file = "T2dnUwACAAAAAAAA";
    let mut whole = fixture_json("image");
    whole["body"] = json!(file);
    whole["size"] = json!(12);
    whole["fileUrl"] = Value::Null;
    let batch = normalize_value(&*channel(), &whole);
    let Content::Image(image) = &batch.messages[0].content else {
        panic!("image")
    };
    assert_eq!(image.inline_base64.as_deref(), Some(file));
    assert!(!serde_json::to_string(&batch.messages[0].content)
        .unwrap()
        .contains(file));

    let mut thumbnail = whole.clone();
    thumbnail["size"] = json!(88_211);
    let batch = normalize_value(&*channel(), &thumbnail);
    let Content::Image(image) = &batch.messages[0].content else {
        panic!("image")
    };
    assert_eq!(image.inline_base64, None, "a thumbnail is not the file");
}

#[test]
fn odd_bodies_are_never_taken_for_the_file() {
    for body in [
        "",
        "=",
        "==",
        "===",
        "a",
        "abc",
        "data:;base64,",
        "data:image/png;base64,==",
    ] {
        let mut message = fixture_json("image");
        message["body"] = json!(body);
        message["size"] = json!(1);
        let batch = normalize_value(&*channel(), &message);
        let Content::Image(image) = &batch.messages[0].content else {
            panic!("image")
        };
        assert_eq!(image.inline_base64, None, "{body:?}");
    }
}
