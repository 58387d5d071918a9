//! `Encrypt` payloads are attacker-controlled once a token leaks, and the
//! decryptor sits in front of every safe-mode push: it must reject, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_mp::crypto::AesKey;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = AesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG") else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = key.decrypt(text, "wxb11529c136998cb6");
    }
    // Also feed well-formed base64 so the fuzzer reaches the padding and
    // frame checks instead of stopping at the base64 decoder.
    let encoded = wechat_mp::crypto::encode_base64(data);
    let _ = key.decrypt(&encoded, "wxb11529c136998cb6");
    // And a frame that was really encrypted: it must open to the same bytes.
    let sealed = key.encrypt_with(&[7; 16], data, "wxb11529c136998cb6");
    let opened = key.decrypt_raw(&sealed).map(|(msg, _)| msg);
    assert_eq!(opened.as_deref(), Ok(data));
});
