//! Provider secrets at rest: AES-256-GCM under a key derived from the Worker's master secret.
//!
//! The channel id is the associated data, so a ciphertext copied onto another channel's row does
//! not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::ids::random_bytes;
use crate::signature::hmac_sha256;

/// Values sealed before keys had ids: still opened, by trying each key held.
const VERSION: &str = "v1.";
const KEY_ID_BYTES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretError {
    /// The master key is missing or shorter than 32 bytes.
    WeakMasterKey,
    /// Wrong key, wrong channel, or tampered ciphertext.
    Undecryptable,
    /// Sealed under a master key this deployment does not hold (neither the current nor the
    /// previous one), or, for a value from before key ids, opened by neither: an operator's
    /// configuration to fix.
    UnknownKey,
}

/// Key material derived from `PONTE_MASTER_KEY`: one secret to manage, one key per purpose.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn new(master: &str) -> Result<Self, SecretError> {
        if master.len() < 32 {
            return Err(SecretError::WeakMasterKey);
        }
        Ok(Self(hmac_sha256(master.as_bytes(), b"ponte/master/v1")))
    }

    /// A short, public name for this key: what sealed values and signed tokens carry so that,
    /// across a rotation, the key that opens them is found without trying each. Derived one way
    /// from the key, so it tells nothing about it.
    pub fn id(&self) -> String {
        hex::encode(&self.derive("ponte/key-id/v1")[..KEY_ID_BYTES])
    }

    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, purpose.as_bytes())
    }

    pub fn secret_box(&self) -> SecretBox {
        SecretBox(Aes256Gcm::new(&self.derive("ponte/secrets/v1").into()))
    }
}

pub struct SecretBox(Aes256Gcm);

impl SecretBox {
    pub fn seal(&self, plaintext: &[u8], associated: &[u8]) -> String {
        format!("{VERSION}{}", self.seal_raw(plaintext, associated))
    }

    /// The base64 of nonce and ciphertext, without a version prefix.
    pub(crate) fn seal_raw(&self, plaintext: &[u8], associated: &[u8]) -> String {
        let nonce = random_bytes::<12>();
        let payload = Payload {
            msg: plaintext,
            aad: associated,
        };
        // Encryption only fails for inputs beyond GCM's 64 GiB limit.
        let ciphertext = self
            .0
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str, associated: &[u8]) -> Result<Vec<u8>, SecretError> {
        let encoded = sealed
            .strip_prefix(VERSION)
            .ok_or(SecretError::Undecryptable)?;
        self.open_raw(encoded, associated)
    }

    pub(crate) fn open_raw(
        &self,
        encoded: &str,
        associated: &[u8],
    ) -> Result<Vec<u8>, SecretError> {
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::Undecryptable)?;
        if bytes.len() < 12 + 16 {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| SecretError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trips_and_binds_to_the_channel() {
        let sb = MasterKey::new(MASTER).unwrap().secret_box();
        let sealed = sb.seal(b"app-secret", b"chn_1");
        assert!(!sealed.contains("app-secret"));
        assert_eq!(sb.open(&sealed, b"chn_1").unwrap(), b"app-secret");
        assert_eq!(sb.open(&sealed, b"chn_2"), Err(SecretError::Undecryptable));
        assert_ne!(
            sealed,
            sb.seal(b"app-secret", b"chn_1"),
            "nonces must differ"
        );
    }

    #[test]
    fn another_master_key_or_tampering_cannot_open_it() {
        let sealed = MasterKey::new(MASTER)
            .unwrap()
            .secret_box()
            .seal(b"x", b"c");
        let other = MasterKey::new("another-master-key-of-32-chars!!")
            .unwrap()
            .secret_box();
        assert_eq!(other.open(&sealed, b"c"), Err(SecretError::Undecryptable));
        let mut tampered = sealed.clone();
        tampered.replace_range(10..11, if &sealed[10..11] == "A" { "B" } else { "A" });
        let sb = MasterKey::new(MASTER).unwrap().secret_box();
        assert_eq!(sb.open(&tampered, b"c"), Err(SecretError::Undecryptable));
        assert_eq!(sb.open("garbage", b"c"), Err(SecretError::Undecryptable));
    }

    #[test]
    fn short_master_keys_are_refused() {
        assert!(matches!(
            MasterKey::new("short"),
            Err(SecretError::WeakMasterKey)
        ));
    }
}
