//! One item of a provider's list, read on its own: an item that does not parse is kept as its
//! reason instead of failing the delivery, so one malformed message costs only itself.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

pub enum Lenient<T> {
    Read(T),
    Unreadable(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Captured as text, not as a value tree: the well-formed item is parsed once more, cheaply.
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(match serde_json::from_str(raw.get()) {
            Ok(item) => Self::Read(item),
            Err(e) => Self::Unreadable(e.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Item {
        id: String,
    }

    #[test]
    fn a_bad_item_is_kept_as_its_reason_and_the_others_read() {
        let items: Vec<Lenient<Item>> =
            serde_json::from_str(r#"[{"id":"a"},{"id":7},{"id":"c"}]"#).unwrap();
        let read: Vec<&str> = items
            .iter()
            .filter_map(|i| match i {
                Lenient::Read(item) => Some(item.id.as_str()),
                Lenient::Unreadable(_) => None,
            })
            .collect();
        assert_eq!(read, ["a", "c"]);
        assert!(
            matches!(&items[1], Lenient::Unreadable(reason) if reason.contains("invalid type"))
        );
    }

    #[test]
    fn a_list_that_is_not_json_still_fails_the_whole() {
        assert!(serde_json::from_str::<Vec<Lenient<Item>>>(r#"[{"id":"a"},"#).is_err());
    }
}
