//! The WXBizMsgCrypt scheme: AES-256-CBC over `random16 ‖ len ‖ msg ‖ appid`.

use aes::Aes256;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use subtle::ConstantTimeEq;

/// WeChat pads to a multiple of the 32-byte key size, not the 16-byte AES
/// block; unpadders keyed to 16 reject a third of real ciphertexts.
const PAD_BLOCK: usize = 32;
const RANDOM_LEN: usize = 16;
const HEADER_LEN: usize = RANDOM_LEN + 4;

/// Key material decoded from a 43-character EncodingAESKey.
#[derive(Clone)]
pub struct AesKey([u8; 32]);

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(***)")
    }
}

/// Why an EncodingAESKey was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 43 characters long.
    #[error("expected 43 characters, got {0}")]
    Length(usize),
    /// Not valid base64.
    #[error("not base64")]
    Base64,
}

/// Why an `Encrypt` payload could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The payload is not base64.
    #[error("ciphertext is not base64")]
    Base64,
    /// The ciphertext is empty or not a whole number of AES blocks.
    #[error("ciphertext length {0} is not a positive multiple of 16")]
    Length(usize),
    /// The PKCS#7 padding byte is outside 1..=32.
    #[error("invalid padding")]
    Padding,
    /// The frame is shorter than its header or its length field.
    #[error("malformed frame")]
    Frame,
    /// The trailing AppID is not ours: the message was made for another account.
    #[error("the message was encrypted for another AppID")]
    AppId,
    /// The message is not UTF-8.
    #[error("the decrypted message is not UTF-8")]
    Utf8,
}

impl AesKey {
    /// Decodes an EncodingAESKey. Keys whose last character carries non-zero
    /// trailing bits are accepted: the platform hands out such keys (the
    /// official sample key is one) and strict decoders reject them.
    pub fn parse(encoding_aes_key: &str) -> Result<Self, KeyError> {
        let trimmed = encoding_aes_key.trim();
        if trimmed.len() != 43 {
            return Err(KeyError::Length(trimmed.len()));
        }
        let lenient = GeneralPurpose::new(
            &alphabet::STANDARD,
            GeneralPurposeConfig::new()
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let bytes = lenient.decode(trimmed).map_err(|_| KeyError::Base64)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Base64)?;
        Ok(Self(key))
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.0[..16]);
        iv
    }

    /// Encrypts `msg` for `appid` with the given 16 random bytes and returns
    /// the base64 text that goes into `<Encrypt>`.
    pub fn encrypt_with(&self, random: &[u8; RANDOM_LEN], msg: &[u8], appid: &str) -> String {
        let mut frame = Vec::with_capacity(HEADER_LEN + msg.len() + appid.len() + PAD_BLOCK);
        frame.extend_from_slice(random);
        // Frames are bounded by the body limit, far below 4 GiB.
        let len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(msg);
        frame.extend_from_slice(appid.as_bytes());
        let pad = PAD_BLOCK - frame.len() % PAD_BLOCK;
        // pad is in 1..=32, so the cast cannot truncate.
        frame.resize(frame.len() + pad, pad as u8);
        let total = frame.len();
        let encryptor = cbc::Encryptor::<Aes256>::new(&self.0.into(), &self.iv().into());
        let ciphertext = match encryptor.encrypt_padded_mut::<NoPadding>(&mut frame, total) {
            Ok(ciphertext) => ciphertext,
            // Unreachable: the buffer is a whole number of blocks.
            Err(_) => return String::new(),
        };
        STANDARD.encode(ciphertext)
    }

    /// Encrypts `msg` with fresh random bytes from the OS generator.
    pub fn encrypt(&self, msg: &[u8], appid: &str) -> String {
        let random: [u8; RANDOM_LEN] = rand::random();
        self.encrypt_with(&random, msg, appid)
    }

    /// Opens an `Encrypt` payload and checks that it was made for `appid`.
    pub fn decrypt(&self, encrypted: &str, appid: &str) -> Result<String, DecryptError> {
        let (msg, receiver) = self.decrypt_raw(encrypted)?;
        if !bool::from(receiver.as_slice().ct_eq(appid.as_bytes())) {
            return Err(DecryptError::AppId);
        }
        String::from_utf8(msg).map_err(|_| DecryptError::Utf8)
    }

    /// Opens a payload and returns the message and the receiver id it names,
    /// without judging the receiver.
    pub fn decrypt_raw(&self, encrypted: &str) -> Result<(Vec<u8>, Vec<u8>), DecryptError> {
        let mut buf = STANDARD
            .decode(encrypted.trim())
            .map_err(|_| DecryptError::Base64)?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(DecryptError::Length(buf.len()));
        }
        let decryptor = cbc::Decryptor::<Aes256>::new(&self.0.into(), &self.iv().into());
        let plain = decryptor
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| DecryptError::Length(0))?;
        let pad = usize::from(*plain.last().ok_or(DecryptError::Padding)?);
        if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
            return Err(DecryptError::Padding);
        }
        let frame = &plain[..plain.len() - pad];
        let header = frame
            .get(RANDOM_LEN..HEADER_LEN)
            .ok_or(DecryptError::Frame)?;
        let len_bytes: [u8; 4] = header.try_into().map_err(|_| DecryptError::Frame)?;
        let msg_len =
            usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| DecryptError::Frame)?;
        let msg_end = HEADER_LEN.checked_add(msg_len).ok_or(DecryptError::Frame)?;
        let msg = frame.get(HEADER_LEN..msg_end).ok_or(DecryptError::Frame)?;
        Ok((msg.to_vec(), frame[msg_end..].to_vec()))
    }
}

/// Standard base64, as used for `Encrypt`; exposed for tests and fuzzing.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_keys() {
        assert_eq!(AesKey::parse("abc").err(), Some(KeyError::Length(3)));
    }

    #[test]
    fn every_pad_length_round_trips() {
        let key =
            AesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").map_err(|e| e.to_string());
        let Ok(key) = key else {
            panic!("sample key must parse")
        };
        // 16 + 4 + n + 18 bytes: n = 0..32 walks the padding through all of 1..=32.
        for n in 0..32 {
            let msg = "x".repeat(n);
            let encrypted = key.encrypt(msg.as_bytes(), "wxb11529c136998cb6");
            assert_eq!(
                key.decrypt(&encrypted, "wxb11529c136998cb6").ok(),
                Some(msg)
            );
        }
    }

    #[test]
    fn rejects_foreign_appid() {
        let Ok(key) = AesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG") else {
            panic!("sample key must parse")
        };
        let encrypted = key.encrypt(b"<xml/>", "wx-one");
        assert_eq!(key.decrypt(&encrypted, "wx-two"), Err(DecryptError::AppId));
    }
}
