//! The Evolution adapter against fixtures written from Evolution API v2's documented webhook
//! format (`tests/fixtures/evolution/`, shared with the end-to-end tests), through the seam:
//! `Provider::open`, `Channel::authenticate`, `Channel::normalize`.

use std::path::PathBuf;

use ponte_core::model::{
    Content, Direction, InboundBatch, InteractiveReply, Media, NormalizedMessage, ReplyContext,
    Sender,
};
use ponte_core::providers::evolution::Evolution;
use ponte_core::providers::{
    Channel, ConnectionState, ConnectionUpdate, Malformed, Provider, Qr, WebhookRequest,
};
use ponte_core::status::DeliveryStatus;
use serde_json::{json, Value};

const INSTANCE: &str = "loja-centro";
const API_KEY: &str = "B6D711FCDE4D4FD5936544120E713976";
const NOW_MS: i64 = 1_800_000_000_000;
const FIXTURE_COUNT: usize = 61;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/evolution")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn channel_with(include_groups: bool) -> Box<dyn Channel> {
    Evolution
        .open(
            json!({"base_url": "https://evo.example.com.br", "instance": INSTANCE,
                   "include_groups": include_groups}),
            json!({"api_key": API_KEY}),
        )
        .unwrap()
}

fn request<'a>(body: &'a [u8], rest: &'a str) -> WebhookRequest<'a> {
    WebhookRequest {
        method: "POST",
        url: "https://ponte.example.com/webhooks/evolution/whk_3f9a2c",
        rest,
        query: &[],
        headers: &[],
        body,
        received_at_ms: NOW_MS,
    }
}

fn normalize_body(channel: &dyn Channel, body: &[u8]) -> Result<InboundBatch, Malformed> {
    channel.normalize(&request(body, ""))
}

fn parse_with(name: &str, include_groups: bool) -> InboundBatch {
    let channel = channel_with(include_groups);
    let body = fixture(name);
    channel
        .authenticate(&request(&body, ""))
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    normalize_body(channel.as_ref(), &body).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(name: &str) -> InboundBatch {
    parse_with(name, false)
}

/// The one message a fixture holds, with nothing else in the batch.
fn only(name: &str) -> NormalizedMessage {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}: {batch:?}");
    assert!(
        batch.statuses.is_empty()
            && batch.ignored.is_empty()
            && batch.deletions.is_empty()
            && batch.connection.is_none(),
        "{name}: {batch:?}"
    );
    batch.messages.into_iter().next().unwrap()
}

fn content(name: &str) -> Content {
    only(name).content
}

fn text(body: &str) -> Content {
    Content::Text { body: body.into() }
}

#[test]
fn a_conversation_text_keeps_id_sender_name_and_provider_time() {
    let m = only("text_conversation");
    assert_eq!(m.provider_message_id, "3EB0C0BD05DCA97A7C09CB");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.timestamp_ms, 1_717_604_327_000);
    assert_eq!(
        m.contact.identity_keys(),
        ["phone:+5511987654321", "wa:5511987654321"]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Giovanna Reis"));
    assert_eq!(
        m.content,
        text("Oi, tudo bem? Quero saber do pedido 123 🙂")
    );
    assert_eq!((m.context, m.sender, m.referral), (None, None, None));
}

#[test]
fn an_extended_text_from_a_number_without_the_ninth_digit_gets_its_canonical_phone() {
    let m = only("text_extended_without_ninth_digit");
    assert_eq!(m.provider_message_id, "A5561E44C2A63682E4295B52F484C14E");
    assert_eq!(
        m.contact.identity_keys(),
        ["phone:+5531998765432", "wa:553198765432"]
    );
    // messageTimestamp given as a numeric string.
    assert_eq!(m.timestamp_ms, 1_717_604_400_000);
    assert_eq!(m.content, text("Bom dia! Vocês entregam em BH?"));
}

#[test]
fn images_prefer_the_s3_copy_and_never_keep_inline_bytes() {
    let m = only("image");
    assert_eq!(
        m.content,
        Content::Image(Media {
            url: Some("https://s3.example.com.br/evolution/a7b3c1d2/5511987654321@s.whatsapp.net/imageMessage/1717604327000_3EB0A1B2C3D4E5F60718.jpeg?X-Amz-Signature=4f2a".into()),
            mime_type: Some("image/jpeg".into()),
            sha256: Some("3Lb6yJ0m8mHqAW2vPq0eB1bqjM9W6lVh1c2f0R8uKZk=".into()),
            caption: Some("Foto do produto".into()),
            ..Media::default()
        })
    );
    let printed = format!("{m:?}");
    assert!(
        !printed.contains("/9j/4AAQ"),
        "inline media kept: {printed}"
    );
}

#[test]
fn media_of_every_kind() {
    assert_eq!(
        content("video"),
        Content::Video(Media {
            url: Some("https://mmg.whatsapp.net/v/t62.7161-24/video-unboxing.enc?ccb=11-4".into()),
            mime_type: Some("video/mp4".into()),
            // The digest arrived as a byte array.
            sha256: Some("q83vASNFZ4k=".into()),
            caption: Some("unboxing".into()),
            ..Media::default()
        })
    );
    let Content::Audio(voice) = content("audio_voice") else {
        panic!("audio")
    };
    assert_eq!(voice.voice, Some(true));
    assert_eq!(voice.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
    assert_eq!(
        content("document_with_caption"),
        Content::Document(Media {
            url: Some("https://mmg.whatsapp.net/v/t62.7119-24/nf-123.enc?ccb=11-4".into()),
            mime_type: Some("application/pdf".into()),
            sha256: Some("9k5vQ3n8r2T1w6y4u0i8o2p6a4s2d0f8g6h4j2k0l8z=".into()),
            caption: Some("Segue a nota fiscal".into()),
            filename: Some("nf-123.pdf".into()),
            ..Media::default()
        })
    );
    let Content::Document(sheet) = content("document") else {
        panic!("document")
    };
    assert_eq!(sheet.filename.as_deref(), Some("tabela-precos.xlsx"));
    assert_eq!((sheet.caption, sheet.voice), (None, None));
    let Content::Sticker(sticker) = content("sticker") else {
        panic!("sticker")
    };
    assert_eq!(sticker.animated, Some(false));
    assert_eq!(sticker.mime_type.as_deref(), Some("image/webp"));
    let Content::Video(round) = content("ptv") else {
        panic!("a video note is a video")
    };
    assert_eq!(
        round.url.as_deref(),
        Some("https://mmg.whatsapp.net/v/t62.7161-24/round.enc?ccb=11-4")
    );
}

#[test]
fn locations_and_contact_cards() {
    assert_eq!(
        content("location"),
        Content::Location {
            latitude: -23.561414,
            longitude: -46.655881,
            name: Some("MASP".into()),
            address: Some("Av. Paulista, 1578 - Bela Vista, São Paulo - SP".into()),
            url: None,
        }
    );
    let Content::Contacts { contacts } = content("contact") else {
        panic!("contact")
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["displayName"], "Bruno Lima");
    assert!(contacts[0]["vcard"]
        .as_str()
        .unwrap()
        .contains("waid=5521998877665"));
    let Content::Contacts { contacts } = content("contacts_array") else {
        panic!("contacts")
    };
    let names: Vec<_> = contacts.iter().map(|c| c["displayName"].clone()).collect();
    assert_eq!(names, [json!("Bruno Lima"), json!("Dani Souza")]);
}

#[test]
fn reactions_name_the_reacted_message_and_an_empty_one_is_a_removal() {
    let m = only("reaction");
    assert_eq!(m.provider_message_id, "3EB0AA89BD4D7E3C66AB");
    assert_eq!(
        m.content,
        Content::Reaction {
            message_id: "BAE594145F4C59B4".into(),
            emoji: Some("❤️".into())
        }
    );
    assert_eq!(
        content("reaction_removed"),
        Content::Reaction {
            message_id: "BAE594145F4C59B4".into(),
            emoji: None
        }
    );
}

#[test]
fn replies_name_the_quoted_message_wherever_evolution_puts_the_context() {
    assert_eq!(
        only("reply").context,
        Some(ReplyContext {
            message_id: Some("BAE594145F4C59B4".into()),
            from: Some("5511940001000".into()),
            ..ReplyContext::default()
        })
    );
    let inner = only("reply_inner_context");
    assert_eq!(inner.content, text("Esse aqui"));
    assert_eq!(
        inner.context,
        Some(ReplyContext {
            message_id: Some("3EB0A1B2C3D4E5F60718".into()),
            from: Some("5511987654321".into()),
            ..ReplyContext::default()
        })
    );
    assert_eq!(
        only("forwarded").context,
        Some(ReplyContext {
            forwarded: true,
            ..ReplyContext::default()
        })
    );
    // A context that only carries disappearing-message settings is no context.
    let ephemeral = only("ephemeral_text");
    assert_eq!(ephemeral.content, text("Mensagem temporária"));
    assert_eq!(ephemeral.context, None);
}

#[test]
fn lid_chats_carry_the_phone_when_the_payload_gives_it() {
    for name in ["lid_with_remote_jid_alt", "lid_with_sender_pn"] {
        let m = only(name);
        assert_eq!(
            m.contact.identity_keys(),
            [
                "phone:+5531998765432",
                "wa:553198765432",
                "lid:208115126378602@lid"
            ],
            "{name}"
        );
        assert_eq!(m.contact.name.as_deref(), Some("Carlos Mendes"));
    }
    // A phone chat whose payload also names the linked id: the id joins the same contact.
    assert_eq!(
        only("phone_with_lid_alt").contact.identity_keys(),
        [
            "phone:+5511987654321",
            "wa:5511987654321",
            "lid:173620081745108@lid"
        ]
    );
    let hidden = only("lid_only");
    assert_eq!(hidden.contact.identity_keys(), ["lid:99887766554433@lid"]);
    assert_eq!(hidden.contact.name.as_deref(), Some("Anônimo"));
}

#[test]
fn echoes_and_api_sends_are_outbound_to_the_chats_other_party() {
    let echo = only("from_me_echo");
    assert_eq!(echo.direction, Direction::Outbound);
    assert_eq!(echo.provider_message_id, "3EB0EC40000000000001");
    assert_eq!(
        echo.contact.identity_keys(),
        ["phone:+5511987654321", "wa:5511987654321"]
    );
    // pushName is the business's own name here.
    assert_eq!(echo.contact.name, None);
    assert_eq!(echo.timestamp_ms, 1_717_604_600_000);

    let sent = only("send_message");
    assert_eq!(sent.direction, Direction::Outbound);
    assert_eq!(sent.provider_message_id, "BAE594145F4C59B4");
    assert_eq!(sent.content, text("Qual horário fica melhor?"));
    assert_eq!(sent.contact.name, None);
    assert_eq!(sent.timestamp_ms, 1_717_604_450_000);
}

#[test]
fn a_send_message_without_from_me_is_still_ours() {
    let body = json!({"event": "send.message", "instance": INSTANCE,
        "data": {"key": {"remoteJid": "5511987654321@s.whatsapp.net", "id": "BAE5000000000001"},
                 "message": {"conversation": "oi"}, "messageType": "conversation"}});
    let batch = normalize_body(channel_with(false).as_ref(), body.to_string().as_bytes()).unwrap();
    assert_eq!(batch.messages[0].direction, Direction::Outbound);
    // No messageTimestamp: the time it arrived.
    assert_eq!(batch.messages[0].timestamp_ms, NOW_MS);
}

#[test]
fn groups_and_broadcasts_are_dropped_unless_the_channel_includes_them() {
    for (name, reason) in [
        (
            "group_text",
            "group message 3EB092433579DB2EBDFA dropped: include_groups is off",
        ),
        (
            "group_from_me",
            "group message 3EB09210C0EE3FD2C9D6 dropped: include_groups is off",
        ),
        (
            "status_broadcast",
            "broadcast message 3EB0751845FEE15496447 dropped: include_groups is off",
        ),
    ] {
        let batch = parse(name);
        assert!(batch.messages.is_empty(), "{name}");
        assert_eq!(batch.ignored, [reason]);
    }

    let batch = parse_with("group_text", true);
    let m = &batch.messages[0];
    assert_eq!(m.contact.identity_keys(), ["group:120363041234567890@g.us"]);
    assert_eq!(m.contact.name, None);
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(
        m.sender,
        Some(Sender {
            id: "208115126378602@lid".into(),
            phone: Some("+5531998765432".into()),
            name: Some("Carlos Mendes".into()),
        })
    );
    assert_eq!(m.content, text("Bom dia, grupo!"));

    let ours = &parse_with("group_from_me", true).messages[0];
    assert_eq!(ours.direction, Direction::Outbound);
    assert_eq!(ours.sender, None);

    let status = &parse_with("status_broadcast", true).messages[0];
    assert_eq!(status.contact.identity_keys(), ["group:status@broadcast"]);
    assert_eq!(
        status.sender,
        Some(Sender {
            id: "5511987654321@s.whatsapp.net".into(),
            phone: Some("+5511987654321".into()),
            name: Some("Giovanna Reis".into()),
        })
    );
}

#[test]
fn older_batched_data_gives_every_message() {
    let batch = parse("batch_messages");
    let ids: Vec<_> = batch
        .messages
        .iter()
        .map(|m| m.provider_message_id.as_str())
        .collect();
    assert_eq!(ids, ["3EB0BA7C4000000000001", "3EB0BA7C4000000000002"]);
    assert_eq!(batch.messages[1].content, text("segunda"));
    assert_eq!(batch.messages[1].timestamp_ms, 1_717_604_002_000);
}

#[test]
fn list_and_button_answers() {
    let list = only("list_response");
    assert_eq!(
        list.content,
        Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: "slot-14h".into(),
                title: "14:00".into(),
                description: Some("Terça-feira".into())
            }
        }
    );
    assert_eq!(
        list.context.and_then(|c| c.message_id).as_deref(),
        Some("BAE5FB9D6B389A54")
    );
    assert_eq!(
        content("buttons_response"),
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "confirm-order-123".into(),
                title: "Confirmar".into()
            }
        }
    );
    assert_eq!(
        content("template_button_reply"),
        Content::Button {
            payload: "STOP_PROMOS".into(),
            text: "Parar promoções".into()
        }
    );
}

#[test]
fn unmodelled_types_are_kept_as_unsupported() {
    assert_eq!(
        content("poll_creation"),
        Content::Unsupported {
            original_type: "pollCreationMessageV3".into(),
            errors: vec![]
        }
    );
    // Without messageType the content's own key names it.
    let body = json!({"event": "messages.upsert", "instance": INSTANCE, "data": {
        "key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "3EB0EEEE00000001"},
        "message": {"messageContextInfo": {}, "eventMessage": {"name": "Feira"}}}});
    let batch = normalize_body(channel_with(false).as_ref(), body.to_string().as_bytes()).unwrap();
    assert_eq!(
        batch.messages[0].content,
        Content::Unsupported {
            original_type: "eventMessage".into(),
            errors: vec![]
        }
    );
}

#[test]
fn a_revoke_sent_as_a_message_is_a_deletion() {
    let batch = parse("protocol_revoke");
    assert!(batch.messages.is_empty());
    assert_eq!(batch.deletions, ["3EB0C0BD05DCA97A7C09CB"]);
}

#[test]
fn upper_snake_event_names_are_the_same_events() {
    assert_eq!(
        only("upper_snake_event").content,
        text("evento em maiúsculas")
    );
}

#[test]
fn statuses_map_to_forward_moving_delivery_states() {
    for (name, status) in [
        ("status_server_ack", DeliveryStatus::Sent),
        ("status_delivery_ack", DeliveryStatus::Delivered),
        ("status_read", DeliveryStatus::Read),
        ("status_played", DeliveryStatus::Played),
        ("status_error", DeliveryStatus::Failed),
    ] {
        let batch = parse(name);
        assert_eq!(batch.statuses.len(), 1, "{name}");
        let update = &batch.statuses[0];
        assert_eq!(update.provider_message_id, "BAE594145F4C59B4");
        assert_eq!(update.status, status, "{name}");
        assert_eq!(update.timestamp_ms, NOW_MS);
        assert_eq!(update.recipient_id.as_deref(), Some("5511987654321"));
        assert!(batch.messages.is_empty() && batch.ignored.is_empty());
    }
    let pending = parse("status_pending");
    assert!(pending.statuses.is_empty());
    assert_eq!(pending.ignored, ["status PENDING of BAE594145F4C59B4"]);
    let deleted = parse("status_deleted");
    assert!(deleted.statuses.is_empty());
    assert_eq!(deleted.deletions, ["BAE594145F4C59B4"]);
}

#[test]
fn a_list_of_updates_gives_one_status_per_message() {
    let batch = parse("status_batch");
    let seen: Vec<_> = batch
        .statuses
        .iter()
        .map(|s| {
            (
                s.provider_message_id.as_str(),
                s.status,
                s.recipient_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "BAE594145F4C59B4",
                DeliveryStatus::Read,
                Some("5511987654321")
            ),
            (
                "BAE5AAAA00000002",
                DeliveryStatus::Sent,
                Some("553198765432")
            ),
        ]
    );
    assert_eq!(
        batch.ignored,
        [
            "status READ of inbound message 3EB0C0BD05DCA97A7C09CB",
            "status of group message BAE5CC73BFB92304 dropped: include_groups is off",
        ]
    );
    let with_groups = parse_with("status_batch", true);
    let group = with_groups.statuses.last().unwrap();
    assert_eq!(group.provider_message_id, "BAE5CC73BFB92304");
    assert_eq!(group.recipient_id, None);
}

#[test]
fn deletions_name_whatsapps_id_not_evolutions_row() {
    assert_eq!(
        parse("messages_delete").deletions,
        ["3EB0C0BD05DCA97A7C09CB"]
    );
    let via_api = parse("messages_delete_via_api");
    assert_eq!(via_api.deletions, ["BAE594145F4C59B4"]);
    assert!(via_api.messages.is_empty());
}

#[test]
fn session_events_become_connection_updates() {
    for (name, state) in [
        ("connection_open", ConnectionState::Connected),
        ("connection_connecting", ConnectionState::Connecting),
        ("connection_close", ConnectionState::Disconnected),
        ("connection_refused", ConnectionState::Disconnected),
        ("qrcode_limit_reached", ConnectionState::Disconnected),
    ] {
        let batch = parse(name);
        assert_eq!(
            batch.connection,
            Some(ConnectionUpdate { state, qr: None }),
            "{name}"
        );
        assert!(batch.ignored.is_empty(), "{name}");
    }
    let qr = parse("qrcode_updated").connection.unwrap();
    assert_eq!(qr.state, ConnectionState::QrRequired);
    let Some(Qr { code, image }) = qr.qr else {
        panic!("no QR")
    };
    assert!(code.unwrap().starts_with("2@y8lfKp1r0vQ2Zc6Qe3mX9w==,"));
    assert!(image
        .unwrap()
        .starts_with("data:image/png;base64,iVBORw0KGgo"));
}

#[test]
fn the_address_book_gives_known_contacts_their_pictures() {
    let batch = parse("contacts_update");
    assert!(batch.messages.is_empty(), "a profile creates no message");
    let pictures: Vec<(Vec<String>, Option<&str>)> = batch
        .profiles
        .iter()
        .map(|c| (c.identity_keys(), c.avatar_url.as_deref()))
        .collect();
    assert_eq!(
        pictures,
        [
            (
                vec!["phone:+5511987654321".into(), "wa:5511987654321".into()],
                Some("https://pps.whatsapp.net/v/t61.24694-24/491234567_n.jpg?ccb=11-4&oh=01_Q5AaIC&oe=685A1B2C&_nc_sid=5e03e0")
            ),
            (
                vec!["lid:208115126378602@lid".into()],
                Some("https://pps.whatsapp.net/v/t61.24694-24/491234568_n.jpg?oe=685A1B2C")
            ),
        ]
    );
    assert_eq!(
        batch.ignored,
        ["contacts.update: 5511912345678@s.whatsapp.net without a picture"]
    );
    // The first sync names no picture yet: nothing to apply.
    let first = parse("contacts_upsert");
    assert!(first.profiles.is_empty());
    assert_eq!(
        first.ignored,
        ["contacts.upsert: 5511987654321@s.whatsapp.net without a picture"]
    );
}

#[test]
fn events_ponte_does_not_act_on_are_ignored_by_name() {
    for (name, event) in [
        ("chats_upsert", "chats.upsert"),
        ("presence_update", "presence.update"),
        ("groups_upsert", "groups.upsert"),
        ("call", "call"),
    ] {
        let batch = parse(name);
        assert_eq!(batch.ignored, [format!("event {event}")], "{name}");
        assert!(batch.messages.is_empty() && batch.connection.is_none());
    }
}

#[test]
fn another_instances_events_are_ignored() {
    let batch = parse("other_instance");
    assert!(batch.messages.is_empty());
    assert_eq!(batch.ignored, ["instance loja-norte is not this channel's"]);
}

#[test]
fn a_body_apikey_must_be_the_channels() {
    let channel = channel_with(false);
    let wrong = fixture("wrong_apikey");
    let refused = channel.authenticate(&request(&wrong, "")).unwrap_err();
    assert!(!refused.0.contains(API_KEY) && !refused.0.contains("DEADBEEF"));
    assert!(refused.0.contains("apikey"), "{}", refused.0);

    let unexposed = fixture("null_apikey");
    assert!(channel.authenticate(&request(&unexposed, "")).is_ok());
    for body in [
        json!({"event": "messages.upsert"}),
        json!({"event": "call", "apikey": API_KEY}),
    ] {
        let bytes = body.to_string().into_bytes();
        assert!(channel.authenticate(&request(&bytes, "")).is_ok(), "{body}");
    }
    for body in [
        json!({"apikey": 42}),
        json!({"apikey": ""}),
        json!({"apikey": API_KEY.to_lowercase()}),
    ] {
        let bytes = body.to_string().into_bytes();
        assert!(
            channel.authenticate(&request(&bytes, "")).is_err(),
            "{body}"
        );
    }
    let doubled = format!(r#"{{"apikey":"{API_KEY}","apikey":"0000","event":"call"}}"#);
    assert!(channel
        .authenticate(&request(doubled.as_bytes(), ""))
        .is_err());
    // Left for normalize to reject.
    assert!(channel.authenticate(&request(b"not json", "")).is_ok());
    assert!(channel.authenticate(&request(br#"["apikey"]"#, "")).is_ok());
}

#[test]
fn incomplete_or_mistyped_messages_are_ignored_never_half_stored() {
    let batch = parse("incomplete_no_chat");
    assert!(batch.messages.is_empty());
    assert_eq!(
        batch.ignored,
        ["message 3EB06B45B21B08370698 has no chat (key.remoteJid)"]
    );
    let batch = parse("wrong_types");
    assert!(batch.messages.is_empty());
    assert_eq!(batch.ignored.len(), 1);
    assert!(
        batch.ignored[0].starts_with("messages.upsert: an item is not in Evolution's shape"),
        "{:?}",
        batch.ignored
    );
}

#[test]
fn the_path_names_the_event_only_when_the_body_does_not() {
    let channel = channel_with(false);
    let text_only = json!({"instance": INSTANCE, "data": {
        "key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "3EB0AB0000000001"},
        "message": {"conversation": "sem evento"}}});
    let bytes = text_only.to_string().into_bytes();
    let batch = channel
        .normalize(&request(&bytes, "messages-upsert"))
        .unwrap();
    assert_eq!(batch.messages[0].content, text("sem evento"));

    let body = fixture("connection_open");
    let batch = channel
        .normalize(&request(&body, "messages-upsert"))
        .unwrap();
    assert!(batch.messages.is_empty());
    assert_eq!(batch.connection.unwrap().state, ConnectionState::Connected);
}

#[test]
fn malformed_and_odd_bodies_never_panic() {
    let channel = channel_with(true);
    for bad in [
        &b"{not json"[..],
        b"",
        b"[]",
        b"null",
        b"\"x\"",
        b"42",
        b"[{\"event\":\"call\"}]",
    ] {
        assert!(
            normalize_body(channel.as_ref(), bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let odd = [
        (json!({}), "no event name"),
        (json!({"event": 5}), "event name is not a string: 5"),
        (json!({"event": "messages.upsert", "data": null}), "messages.upsert without data"),
        (json!({"event": "messages.upsert"}), "messages.upsert without data"),
        (json!({"event": "messages.upsert", "data": []}), "messages.upsert without items"),
        (json!({"event": "messages.update", "data": "READ"}), "messages.update without items"),
        (json!({"event": "messages.upsert", "data": {"key": null}}), "a message without key.id"),
        (json!({"event": "messages.upsert", "data": {"key": {"id": "A", "remoteJid": "x@y"}}}),
         "message A: x@y is not a WhatsApp chat"),
        (json!({"event": "messages.upsert", "data": {"key": {"id": "A", "remoteJid": "5511987654321@s.whatsapp.net"}}}),
         "message A has no content"),
        (json!({"event": "messages.upsert", "data": {"key": {"id": "A", "remoteJid": "5511987654321@s.whatsapp.net"},
                 "message": {"reactionMessage": {"text": "👍"}}}}),
         "message A: a reaction without the reacted message's key.id"),
        (json!({"event": "messages.upsert", "data": {"key": {"id": "A", "remoteJid": "5511987654321@s.whatsapp.net"},
                 "message": {"imageMessage": "x"}}}),
         "message A: content not understood (invalid type: string \"x\", expected struct MediaMessage at line 1 column 19)"),
        (json!({"event": "messages.update", "data": {"status": "READ"}}), "messages.update without a message id"),
        (json!({"event": "messages.update", "data": {"keyId": "A"}}), "messages.update of A without a status"),
        (json!({"event": "messages.update", "data": {"keyId": "A", "status": "EDITED"}}), "status EDITED of A"),
        (json!({"event": "messages.delete", "data": {"remoteJid": "5511987654321@s.whatsapp.net"}}), "messages.delete without a message id"),
        (json!({"event": "connection.update", "data": {"state": "paused"}}), "connection state paused"),
        (json!({"event": "connection.update", "data": {}}), "connection.update without a state"),
        (json!({"event": "qrcode.updated", "data": {"qrcode": {"code": ""}}}), "qrcode.updated without a QR code"),
        (json!({"event": "some.future.event", "data": null}), "event some.future.event"),
        (json!({"event": "", "data": {}}), "no event name"),
    ];
    for (body, reason) in odd {
        let bytes = body.to_string().into_bytes();
        let batch =
            normalize_body(channel.as_ref(), &bytes).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(batch.ignored, [reason], "{body}");
        assert!(
            batch.messages.is_empty() && batch.statuses.is_empty(),
            "{body}"
        );
    }
    let wrong_shapes = [
        json!({"event": "connection.update", "data": [1]}),
        json!({"event": "qrcode.updated", "data": {"qrcode": 7}}),
        json!({"event": "messages.update", "data": [{"keyId": 7}]}),
        json!({"event": "messages.delete", "data": [true]}),
        json!({"event": "send.message", "data": {"messages": {"not": "a list"}}}),
    ];
    for body in wrong_shapes {
        let bytes = body.to_string().into_bytes();
        let batch =
            normalize_body(channel.as_ref(), &bytes).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(batch.ignored.len(), 1, "{body}: {batch:?}");
        assert!(
            batch.messages.is_empty() && batch.connection.is_none(),
            "{body}"
        );
    }
}

#[test]
fn every_fixture_is_normalized_or_cleanly_ignored() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), FIXTURE_COUNT, "a fixture was added or removed");
    let channel = channel_with(true);
    for name in names {
        let body = fixture(&name);
        if name == "wrong_apikey" {
            continue;
        }
        channel
            .authenticate(&request(&body, ""))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let batch =
            normalize_body(channel.as_ref(), &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let acted = batch.messages.len()
            + batch.statuses.len()
            + batch.deletions.len()
            + batch.ignored.len()
            + batch.profiles.len()
            + usize::from(batch.connection.is_some());
        assert!(acted > 0, "{name}: neither normalized nor ignored");
        for m in &batch.messages {
            assert!(!m.contact.identity_keys().is_empty(), "{name}");
            assert!(
                m.timestamp_ms > 1_700_000_000_000,
                "{name}: provider time lost"
            );
        }
    }
}

/// Every leaf of every fixture swapped for each other JSON type, and every fixture cut short:
/// the adapter answers each with `Ok` or `Err(Malformed)`, never a panic.
#[test]
fn no_variation_of_a_fixture_panics() {
    fn leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(key.clone());
                    leaves(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(i.to_string());
                    leaves(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
        out.push(path.clone());
    }
    fn replace(value: &mut Value, path: &[String], with: Value) {
        let pointer: String = path.iter().map(|p| format!("/{p}")).collect();
        if let Some(slot) = value.pointer_mut(&pointer) {
            *slot = with;
        }
    }
    let channel = channel_with(true);
    let swaps = [
        Value::Null,
        json!(-1),
        json!(1.5e300),
        json!(""),
        json!("5511987654321@s.whatsapp.net"),
        json!([]),
        json!({}),
        json!(true),
    ];
    let mut tried = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let body = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in (0..body.len()).step_by(7) {
            let _ = channel.authenticate(&request(&body[..cut], ""));
            let _ = normalize_body(channel.as_ref(), &body[..cut]);
        }
        let original: Value = serde_json::from_slice(&body).unwrap();
        let mut paths = Vec::new();
        leaves(&original, &mut Vec::new(), &mut paths);
        for path in paths {
            for swap in &swaps {
                let mut varied = original.clone();
                replace(&mut varied, &path, swap.clone());
                let bytes = serde_json::to_vec(&varied).unwrap();
                let _ = channel.authenticate(&request(&bytes, ""));
                let _ = normalize_body(channel.as_ref(), &bytes);
                tried += 1;
            }
        }
    }
    assert!(tried > 5_000, "only {tried} variations");
}

#[test]
fn a_file_sent_inline_in_base64_rides_to_the_copy_but_never_into_the_stored_content() {
    let body = json!({"event": "messages.upsert", "instance": INSTANCE, "apikey": API_KEY, "data": {
        "key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "3EB0INLINE0001"},
        "pushName": "Ana", "messageType": "audioMessage", "messageTimestamp": 1_717_604_327,
        "message": {"audioMessage": {"url": "https://mmg.whatsapp.net/a.enc", "mimetype": "audio/ogg; codecs=opus", "ptt": true},
                    "base64": "T2dnUwACAAAAAAAAAAA="}}});
    let batch = normalize_body(&*channel_with(false), body.to_string().as_bytes()).unwrap();
    let Content::Audio(audio) = &batch.messages[0].content else {
        panic!("audio")
    };
    assert_eq!(audio.inline_base64.as_deref(), Some("T2dnUwACAAAAAAAAAAA="));
    let stored = serde_json::to_string(&batch.messages[0].content).unwrap();
    assert!(!stored.contains("T2dnUw"), "{stored}");
}
