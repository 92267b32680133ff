//! The master keys a deployment holds during a rotation: the current one, which seals and signs
//! everything new, and optionally the one it replaced, which still opens and verifies what was
//! made before.
//!
//! Sealed secrets are `v2.{key id}.{base64}`, so the key that opens them is named rather than
//! guessed; `v1.` values, sealed before keys had ids, are tried under each key held. A value
//! that is not `v2.` under the current key is what `npm run reseal` seals again.

use crate::secrets::{MasterKey, SecretError};

const SEALED_V2: &str = "v2.";
const SEALED_V1: &str = "v1.";

/// A value opened, and whether it should be sealed again under the current key.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    pub plaintext: Vec<u8>,
    pub stale: bool,
}

#[derive(Clone)]
pub struct Keyring {
    current: MasterKey,
    current_id: String,
    previous: Option<(MasterKey, String)>,
}

impl Keyring {
    pub fn new(current: MasterKey, previous: Option<MasterKey>) -> Self {
        let current_id = current.id();
        // The same key named twice (a rotation's first step, or a forgotten clean-up) is one key.
        let previous = previous
            .map(|key| {
                let id = key.id();
                (key, id)
            })
            .filter(|(_, id)| *id != current_id);
        Self {
            current,
            current_id,
            previous,
        }
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    pub fn current_id(&self) -> &str {
        &self.current_id
    }

    /// The key named `id`, when this deployment holds it.
    pub fn by_id(&self, id: &str) -> Option<&MasterKey> {
        if id == self.current_id {
            return Some(&self.current);
        }
        self.previous
            .as_ref()
            .filter(|(_, previous_id)| previous_id == id)
            .map(|(key, _)| key)
    }

    /// The keys that may have signed something: the one it names, else (made before keys had
    /// ids) each key held, the current one first.
    pub fn candidates(&self, id: Option<&str>) -> Vec<&MasterKey> {
        match id {
            Some(id) => self.by_id(id).into_iter().collect(),
            None => std::iter::once(&self.current)
                .chain(self.previous.as_ref().map(|(key, _)| key))
                .collect(),
        }
    }

    pub fn seal(&self, plaintext: &[u8], associated: &[u8]) -> String {
        let body = self.current.secret_box().seal_raw(plaintext, associated);
        format!("{SEALED_V2}{}.{body}", self.current_id)
    }

    pub fn open(&self, sealed: &str, associated: &[u8]) -> Result<Opened, SecretError> {
        if let Some(rest) = sealed.strip_prefix(SEALED_V2) {
            let (id, body) = rest.split_once('.').ok_or(SecretError::Undecryptable)?;
            let key = self.by_id(id).ok_or(SecretError::UnknownKey)?;
            let plaintext = key.secret_box().open_raw(body, associated)?;
            return Ok(Opened {
                plaintext,
                stale: id != self.current_id,
            });
        }
        if !sealed.starts_with(SEALED_V1) {
            return Err(SecretError::Undecryptable);
        }
        // No key id: a key that fails may simply be the wrong one, so each is tried. When none
        // opens it, tampering cannot be told apart from a key that is gone; a rotation that
        // dropped the previous key too early is by far the likelier, and the operator's to fix.
        self.candidates(None)
            .into_iter()
            .find_map(|key| key.secret_box().open(sealed, associated).ok())
            .map(|plaintext| Opened {
                plaintext,
                stale: true,
            })
            .ok_or(SecretError::UnknownKey)
    }

    /// Whether `sealed` is already in today's form under the current key (not opened: a cheap
    /// check for caches holding sealed values).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .strip_prefix(SEALED_V2)
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(id, _)| id == self.current_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "key-A-0123456789abcdef0123456789abcdef";
    const B: &str = "key-B-0123456789abcdef0123456789abcdef";
    const C: &str = "key-C-0123456789abcdef0123456789abcdef";

    fn key(master: &str) -> MasterKey {
        MasterKey::new(master).unwrap()
    }

    fn ring(current: &str, previous: Option<&str>) -> Keyring {
        Keyring::new(key(current), previous.map(key))
    }

    #[test]
    fn key_ids_are_short_stable_distinct_and_not_the_key() {
        assert_eq!(key(A).id(), key(A).id());
        assert_ne!(key(A).id(), key(B).id());
        assert_eq!(key(A).id().len(), 8);
        assert!(!A.contains(&key(A).id()));
    }

    #[test]
    fn a_sealed_value_names_its_key_and_opens_as_current() {
        let a = ring(A, None);
        let sealed = a.seal(b"token", b"chn_1");
        assert!(sealed.starts_with(&format!("v2.{}.", key(A).id())));
        assert!(!sealed.contains("token"));
        assert!(a.is_current(&sealed));
        let opened = a.open(&sealed, b"chn_1").unwrap();
        assert_eq!(opened.plaintext, b"token");
        assert!(!opened.stale);
        assert_eq!(a.open(&sealed, b"chn_2"), Err(SecretError::Undecryptable));
    }

    #[test]
    fn after_a_rotation_the_previous_key_opens_old_values_as_stale() {
        let sealed = ring(A, None).seal(b"token", b"chn_1");
        let rotated = ring(B, Some(A));
        assert!(!rotated.is_current(&sealed));
        let opened = rotated.open(&sealed, b"chn_1").unwrap();
        assert_eq!(opened.plaintext, b"token");
        assert!(opened.stale);
        let resealed = rotated.seal(&opened.plaintext, b"chn_1");
        assert!(rotated.is_current(&resealed));
        // Once the previous key is gone, only the re-sealed value opens.
        let after = ring(B, None);
        assert_eq!(after.open(&resealed, b"chn_1").unwrap().plaintext, b"token");
        assert_eq!(after.open(&sealed, b"chn_1"), Err(SecretError::UnknownKey));
        assert_eq!(
            ring(C, Some(B)).open(&sealed, b"chn_1"),
            Err(SecretError::UnknownKey)
        );
    }

    #[test]
    fn values_sealed_before_key_ids_still_open_under_either_key() {
        let legacy = key(A).secret_box().seal(b"token", b"chn_1");
        assert!(legacy.starts_with("v1."));
        for keys in [ring(A, None), ring(B, Some(A)), ring(A, Some(B))] {
            let opened = keys.open(&legacy, b"chn_1").unwrap();
            assert_eq!(opened.plaintext, b"token");
            assert!(
                opened.stale,
                "a v1 value is sealed again to carry its key id"
            );
            assert!(!keys.is_current(&legacy));
        }
        assert_eq!(
            ring(B, None).open(&legacy, b"chn_1"),
            Err(SecretError::UnknownKey)
        );
    }

    #[test]
    fn a_value_claiming_another_key_id_or_tampered_does_not_open() {
        let a = ring(A, None);
        let sealed = a.seal(b"token", b"chn_1");
        let body = sealed.rsplit('.').next().unwrap();
        let relabeled = format!("v2.{}.{body}", key(B).id());
        assert_eq!(
            ring(B, Some(A)).open(&relabeled, b"chn_1"),
            Err(SecretError::Undecryptable)
        );
        assert_eq!(
            a.open("v2.nodot", b"chn_1"),
            Err(SecretError::Undecryptable)
        );
        assert_eq!(a.open("v3.x.y", b"chn_1"), Err(SecretError::Undecryptable));
    }

    #[test]
    fn candidates_follow_the_named_key_else_every_key_current_first() {
        let keys = ring(B, Some(A));
        let ids = |list: Vec<&MasterKey>| list.iter().map(|k| k.id()).collect::<Vec<_>>();
        assert_eq!(ids(keys.candidates(Some(&key(A).id()))), [key(A).id()]);
        assert_eq!(ids(keys.candidates(Some("00000000"))), Vec::<String>::new());
        assert_eq!(ids(keys.candidates(None)), [key(B).id(), key(A).id()]);
        // The same key as current and previous is held once.
        assert_eq!(ids(ring(A, Some(A)).candidates(None)), [key(A).id()]);
    }
}
