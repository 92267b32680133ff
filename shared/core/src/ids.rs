//! Public identifiers: a type prefix and 96 random bits, e.g. `msg_5f0c…`.

use std::cell::RefCell;

/// Random bytes drawn from the platform per refill. On Workers each draw is a call out to
/// `crypto.getRandomValues`; a webhook needs four ids and a nonce or two, so drawing them one
/// by one cost more than the rest of id-making together.
const POOL_BYTES: usize = 256;

struct Pool {
    bytes: [u8; POOL_BYTES],
    /// Bytes before this index have been handed out and are never handed out again.
    used: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; POOL_BYTES], used: POOL_BYTES }) };
}

/// Fills `out` from the platform's CSPRNG. It does not fail in practice on Workers; if it ever
/// did, an all-zero id would collide loudly on a UNIQUE constraint rather than silently.
fn fill_from_platform(out: &mut [u8]) {
    if getrandom::fill(out).is_err() {
        out.fill(0);
    }
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if N > POOL_BYTES {
        fill_from_platform(&mut out);
        return out;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if POOL_BYTES - pool.used < N {
            fill_from_platform(&mut pool.bytes);
            pool.used = 0;
        }
        let start = pool.used;
        out.copy_from_slice(&pool.bytes[start..start + N]);
        pool.used = start + N;
    });
    out
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(random_bytes::<12>()))
}

/// An unguessable URL-safe token (256 bits), for webhook URLs and API keys.
pub fn new_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = new_id("msg");
        assert!(a.starts_with("msg_") && a.len() == 28, "{a}");
        assert_ne!(a, new_id("msg"));
        assert_eq!(new_token().len(), 43);
        assert_ne!(new_token(), new_token());
    }

    #[test]
    fn pooled_bytes_are_never_handed_out_twice() {
        // Far more draws than one pool holds, of sizes that do not divide it, across refills.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5_000 {
            assert!(seen.insert(random_bytes::<12>()), "a repeated 96-bit draw");
            let odd = random_bytes::<7>();
            assert!(
                seen.insert(random_bytes::<12>()),
                "a repeated draw after {odd:?}"
            );
            let big = random_bytes::<300>();
            assert!(
                big.iter().any(|&b| b != 0),
                "a draw larger than the pool is still random"
            );
        }
    }
}
