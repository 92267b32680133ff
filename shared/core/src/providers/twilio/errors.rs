//! Twilio's error codes (<https://www.twilio.com/docs/api/errors>) that decide what Ponte does.

/// Worth retrying even when the HTTP status alone would not say so: throttling, Twilio's own
/// trouble, a full queue.
const TRANSIENT: [i64; 4] = [20429, 20500, 20503, 30001];

pub fn is_transient(code: i64) -> bool {
    TRANSIENT.contains(&code)
}

/// A reason for codes an agent meets, when Twilio's answer gives none.
pub fn describe(code: i64) -> Option<&'static str> {
    Some(match code {
        20003 => "Twilio refused the credentials (account_sid, auth_token)",
        20429 | 14107 => "too many requests to Twilio",
        21211 => "the 'To' number is not a valid phone number",
        21408 => "the account may not send to this region",
        21610 => "the recipient has unsubscribed (replied STOP)",
        21612 => "Twilio cannot route to this number",
        21614 => "the 'To' number is not a mobile number",
        30003 => "the handset is unreachable",
        30004 => "the message was blocked",
        30005 => "the number is unknown or no longer in service",
        30006 => "a landline or an unreachable carrier",
        30007 => "filtered by the carrier",
        63003 => "the number is not on WhatsApp",
        63016 => "outside the WhatsApp 24-hour window: only a template can be sent",
        _ => return None,
    })
}
