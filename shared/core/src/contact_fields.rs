//! What the business may write on a contact, checked field by field: a name, an email, its own
//! attributes (merged as a JSON merge patch) and links to its own records.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::outbound::FieldError;

const MAX_NAME_CHARS: usize = 200;
/// RFC 5321's limit on a forward path.
const MAX_EMAIL_CHARS: usize = 254;
const MAX_REFS: usize = 20;
const MAX_REF_PART_CHARS: usize = 64;
const MAX_REF_ID_CHARS: usize = 128;

/// A link to a record of the business's own: `{"system":"odoo","type":"res.partner","id":"42"}`.
/// One record names one contact per tenant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalRef {
    pub system: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// A display name: trimmed, 1 to 200 characters.
pub fn name(raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters, without control characters"),
        ));
    }
    Ok(trimmed.to_string())
}

/// An address as people write it, lower-cased so that one address is one identity. Only its
/// shape is checked: one `@`, a local part, a dotted domain, no spaces.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let address = raw.trim().to_lowercase();
    let shaped = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }
        None => false,
    };
    let clean = !address
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if !shaped || !clean || address.chars().count() > MAX_EMAIL_CHARS {
        return Err(FieldError::new(
            "email",
            "must be an email address such as ana@example.com",
        ));
    }
    Ok(address)
}

/// The identity key an email address is known by: `email:` and the address as [`email`] keeps it.
pub fn email_identity(address: &str) -> String {
    format!("email:{address}")
}

/// `system` and `type` are names (`odoo`, `res.partner`); the id is the record's own, any text.
pub fn check_external_refs(refs: &[ExternalRef]) -> Result<(), FieldError> {
    if refs.len() > MAX_REFS {
        return Err(FieldError::new(
            "external_refs",
            format!("at most {MAX_REFS} per contact"),
        ));
    }
    let is_name = |s: &str| {
        (1..=MAX_REF_PART_CHARS).contains(&s.chars().count())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    for (n, r) in refs.iter().enumerate() {
        if !is_name(&r.system) {
            return Err(FieldError::new(
                format!("external_refs[{n}].system"),
                "must be 1 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        if !is_name(&r.kind) {
            return Err(FieldError::new(
                format!("external_refs[{n}].type"),
                "must be 1 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        let id_chars = r.id.chars().count();
        if !(1..=MAX_REF_ID_CHARS).contains(&id_chars) || r.id.chars().any(char::is_control) {
            return Err(FieldError::new(
                format!("external_refs[{n}].id"),
                format!("must be 1 to {MAX_REF_ID_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

/// `target` with `patch` applied as a JSON merge patch (RFC 7386): a `null` removes a key, an
/// object merges into an object, anything else replaces.
pub fn merge_patch(target: Value, patch: &Value) -> Value {
    let Value::Object(changes) = patch else {
        return patch.clone();
    };
    let mut merged = match target {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (key, change) in changes {
        if change.is_null() {
            merged.remove(key);
        } else {
            let current = merged.remove(key).unwrap_or(Value::Null);
            merged.insert(key.clone(), merge_patch(current, change));
        }
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Ana Souza ").unwrap(), "Ana Souza");
        for bad in ["", "   ", "a\u{0}b", &"x".repeat(201)] {
            assert_eq!(name(bad).unwrap_err().field, "name", "{bad:?}");
        }
    }

    #[test]
    fn emails_are_lower_cased_and_shaped_like_addresses() {
        assert_eq!(email(" Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@@example.com",
            "ana@example.com.",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn external_refs_name_the_wrong_part() {
        let r = |system: &str, kind: &str, id: &str| ExternalRef {
            system: system.into(),
            kind: kind.into(),
            id: id.into(),
        };
        assert!(check_external_refs(&[
            r("odoo", "res.partner", "42"),
            r("hubspot", "contact", "a:b/c")
        ])
        .is_ok());
        let field = |refs: &[ExternalRef]| check_external_refs(refs).unwrap_err().field;
        assert_eq!(
            field(&[r("odoo", "res.partner", "1"), r("od oo", "x", "1")]),
            "external_refs[1].system"
        );
        assert_eq!(field(&[r("odoo", "", "1")]), "external_refs[0].type");
        assert_eq!(
            field(&[r("odoo", "res.partner", "")]),
            "external_refs[0].id"
        );
        let many: Vec<ExternalRef> = (0..21)
            .map(|n| r("crm", "person", &n.to_string()))
            .collect();
        assert_eq!(field(&many), "external_refs");
    }

    #[test]
    fn attributes_merge_as_rfc_7386_says() {
        let stored =
            json!({"plan": "gold", "tags": ["a"], "address": {"city": "SP", "zip": "01000"}});
        let patch = json!({"plan": null, "tags": ["b"], "address": {"zip": null, "street": "Sé"}, "new": 1});
        assert_eq!(
            merge_patch(stored, &patch),
            json!({"tags": ["b"], "address": {"city": "SP", "street": "Sé"}, "new": 1})
        );
        assert_eq!(
            merge_patch(Value::Null, &json!({"a": {"b": null}})),
            json!({"a": {}})
        );
    }
}
