//! The SHA-1 signatures WeChat puts on callbacks and expects on encrypted replies.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// `hex(sha1(concat(sort(parts))))`, the scheme behind both `signature`
/// (token, timestamp, nonce) and `msg_signature` (the same plus `Encrypt`).
///
/// The sort is bytewise: a numeric sort would order `"9"` after `"10"` and
/// produce a different digest, a mistake PHP ports have made.
pub fn sign(parts: &[&str]) -> String {
    let mut sorted: Vec<&str> = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex_lower(&hasher.finalize())
}

/// Checks `expected` against the signature of `parts` in constant time, so a
/// forger cannot learn the digest byte by byte from response timings.
pub fn verify(expected: &str, parts: &[&str]) -> bool {
    let computed = sign(parts);
    let given = expected.trim().to_ascii_lowercase();
    given.len() == computed.len() && bool::from(given.as_bytes().ct_eq(computed.as_bytes()))
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_bytewise_not_numerically() {
        // "10" < "9" as strings; a numeric sort would put "9" first.
        assert_eq!(sign(&["9", "10"]), sign(&["10", "9"]));
        let mut hasher = Sha1::new();
        hasher.update(b"109");
        assert_eq!(sign(&["9", "10"]), hex_lower(&hasher.finalize()));
    }

    #[test]
    fn verify_accepts_uppercase_and_rejects_prefixes() {
        let sig = sign(&["a", "b", "c"]);
        assert!(verify(&sig.to_uppercase(), &["c", "b", "a"]));
        assert!(!verify(&sig[..39], &["a", "b", "c"]));
        assert!(!verify("", &["a", "b", "c"]));
    }
}
