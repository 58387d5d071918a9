//! Callback bodies come from the network: parsing must never panic, and
//! whatever parses as an update must survive a reply rendered back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_mp::{Reply, Update};

fuzz_target!(|data: &[u8]| {
    let _ = Reply::from_xml(data);
    if let Ok(update) = Update::from_xml(data) {
        if let Some(text) = update.text() {
            let xml = Reply::text(text).to_xml(update.from.as_str(), &update.account, 1, true);
            let Some(xml) = xml else { return };
            // Rendering user text must always produce a document we can read back.
            assert!(
                Reply::from_xml(xml.as_bytes()).is_ok(),
                "unreadable reply: {xml:?}"
            );
        }
    }
});
