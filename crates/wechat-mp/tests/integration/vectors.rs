//! Published test vectors. Each names its source; none was produced by this crate.
//!
//! Pad lengths (computed from the ciphertexts): official push 19, official
//! reply 1, official sample 2, wechatpy 1 and 3, chanjarster 7, EasyWeChat 21
//! and 30, PowerWeChat 24. The 21-, 24- and 30-byte pads are longer than an
//! AES block and break unpadders keyed to 16.

use wechat_mp::callback::{Callback, CallbackQuery, Opened};
use wechat_mp::crypto::{AesKey, DecryptError};
use wechat_mp::signature::{sign, verify};
use wechat_mp::{Config, Mode};

fn key(encoding_aes_key: &str) -> AesKey {
    AesKey::parse(encoding_aes_key).unwrap()
}

// Official documentation, "消息加解密说明", safe-mode example
// (developers.weixin.qq.com/doc/service/guide/dev/push/encryption.html; the
// same example is in miniprogram/dev/framework/server-ability/message-push).
const OFFICIAL_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const OFFICIAL_APPID: &str = "wxba5fad812f8e6fb9";
const OFFICIAL_ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";

#[test]
fn official_url_verification_signature() {
    // Official docs, URL verification example: Token "AAAAA".
    assert!(verify(
        "f464b24fc39322e44b38aa78f5edd27bd1441696",
        &["AAAAA", "1714036504", "1514711492"]
    ));
    // Official docs, plaintext-mode push example.
    assert_eq!(
        sign(&["AAAAA", "1714037059", "486452656"]),
        "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    );
    // Official docs, safe-mode push: `signature` still covers token/timestamp/nonce.
    assert_eq!(
        sign(&["AAAAA", "1714112445", "415670741"]),
        "6c5c811b55cc85e0e1b54100749188c20beb3f5d"
    );
}

#[test]
fn official_safe_mode_push_decrypts() {
    assert_eq!(
        sign(&["AAAAA", "1714112445", "415670741", OFFICIAL_ENCRYPT]),
        "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3"
    );
    let msg = key(OFFICIAL_KEY)
        .decrypt(OFFICIAL_ENCRYPT, OFFICIAL_APPID)
        .unwrap();
    assert_eq!(
        msg,
        r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#
    );
    assert_eq!(msg.len(), 167);
}

#[test]
fn official_reply_encrypts_byte_for_byte() {
    // Official docs: random "707722b803182950", TimeStamp 1713424427, Nonce 415670741.
    let random: [u8; 16] = *b"707722b803182950";
    let encrypt =
        key(OFFICIAL_KEY).encrypt_with(&random, br#"{"demo_resp":"good luck"}"#, OFFICIAL_APPID);
    assert_eq!(
        encrypt,
        "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ=="
    );
    assert_eq!(
        sign(&["AAAAA", "1713424427", "415670741", &encrypt]),
        "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1"
    );

    // The same vector through the callback layer, which builds the XML envelope.
    let config = Config {
        mode: Mode::Safe,
        encoding_aes_key: Some(OFFICIAL_KEY.into()),
        ..Config::new(OFFICIAL_APPID, "secret", "AAAAA")
    };
    let callback = Callback::new(&config).unwrap();
    let opened = Opened {
        xml: String::new(),
        key_index: Some(0),
        nonce: "415670741".into(),
    };
    let sealed = callback.seal_with(&opened, r#"{"demo_resp":"good luck"}"#, &random, 1713424427);
    assert_eq!(
        sealed,
        "<xml><Encrypt><![CDATA[ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==]]></Encrypt>\
<MsgSignature><![CDATA[1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1]]></MsgSignature>\
<TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[415670741]]></Nonce></xml>"
    );
}

#[test]
fn official_safe_mode_push_through_the_callback_layer() {
    let config = Config {
        mode: Mode::Safe,
        encoding_aes_key: Some(OFFICIAL_KEY.into()),
        ..Config::new(OFFICIAL_APPID, "secret", "AAAAA")
    };
    let callback = Callback::new(&config).unwrap();
    let query = CallbackQuery {
        signature: Some("6c5c811b55cc85e0e1b54100749188c20beb3f5d".into()),
        timestamp: Some("1714112445".into()),
        nonce: Some("415670741".into()),
        openid: Some("o9AgO5Kd5ggOC-bXrbNODIiE3bGY".into()),
        encrypt_type: Some("aes".into()),
        msg_signature: Some("046e02f8204d34f8ba5fa3b1db94908f3df2e9b3".into()),
        echostr: None,
    };
    // The official body is JSON; the same fields in the XML envelope.
    let body = format!("<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[{OFFICIAL_ENCRYPT}]]></Encrypt></xml>");
    let opened = callback.open(&query, body.as_bytes(), 1714112445).unwrap();
    assert!(opened.xml.contains("debug_demo"));
    // Outside the replay window the same request is refused.
    assert!(callback
        .open(&query, body.as_bytes(), 1714112445 + 301)
        .is_err());
}

// Official sample code (WXBizMsgCrypt demo, Sample.py by jonyqin, in
// cryptoDemo.zip; mirrored e.g. in charlesXu86/Chatbot_CN
// Chatbot_Web/impl/weixin/Sample.py). A compatible-mode push.
#[test]
fn official_sample_compatible_mode_push() {
    let encrypt = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
    assert!(verify(
        "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
        &["spamtest", "1409735669", "1320562132", encrypt]
    ));
    let msg = key(crate::SAMPLE_KEY)
        .decrypt(encrypt, "wx2c2769f8efd9abc2")
        .unwrap();
    assert!(msg.contains("<Content><![CDATA[abcdteT]]></Content>"));
}

// wechatpy/wechatpy tests/test_crypto.py (WeCom variant of the same scheme:
// the receive id is the corp id). Fixed random "1234567890123456".
const WECHATPY_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const WECHATPY_CORP: &str = "wx49f0ab532d5d035a";

#[test]
fn wechatpy_encrypt_is_exact() {
    let reply = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
    let encrypt =
        key(WECHATPY_KEY).encrypt_with(b"1234567890123456", reply.as_bytes(), WECHATPY_CORP);
    assert_eq!(encrypt, "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3");
    assert_eq!(
        sign(&["123456", "1411525903", "461056294", &encrypt]),
        "407518b7649e86ef23978113f92d27afa9296533"
    );
}

#[test]
fn wechatpy_decrypt() {
    let encrypt = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";
    assert!(verify(
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        &["123456", "1411525903", "461056294", encrypt]
    ));
    let msg = key(WECHATPY_KEY).decrypt(encrypt, WECHATPY_CORP).unwrap();
    assert!(msg.contains("<FromUserName><![CDATA[messense]]></FromUserName>"));
    assert!(msg.contains("<Content><![CDATA[test]]></Content>"));
}

// chanjarster/weixin-java-tools (the project that became Wechat-Group/WxJava),
// weixin-java-common/src/test/java/me/chanjar/weixin/common/util/crypto/WxCryptUtilTest.java.
// Fixed random "aaaabbbbccccdddd"; also the official Java sample's values.
#[test]
fn wxjava_encrypt_is_exact_including_multibyte_lengths() {
    let k = key(crate::SAMPLE_KEY);
    let random = b"aaaabbbbccccdddd";
    assert_eq!(
        k.encrypt_with(random, "我是中文abcd123".as_bytes(), "wxb11529c136998cb6"),
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    );
    let reply = "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>";
    assert_eq!(
        k.encrypt_with(random, reply.as_bytes(), "wxb11529c136998cb6"),
        "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
    );
}

// w7corp/easywechat tests/Kernel/EncryptorTest.php: a real push whose
// plaintext carries the extra <URL> element; pad 21.
const EASYWECHAT_ENCRYPT: &str = "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA==";

#[test]
fn easywechat_decrypt_pad_21_with_extra_url_element() {
    assert!(verify(
        "4f3ad57b6989f09f4eb392acce4f9e93942ed890",
        &["pamtest", "1458300676", "260774613", EASYWECHAT_ENCRYPT]
    ));
    let msg = key(crate::SAMPLE_KEY)
        .decrypt(EASYWECHAT_ENCRYPT, "wxb11529c136998cb6")
        .unwrap();
    let update = wechat_mp::Update::from_xml(msg.as_bytes()).unwrap();
    assert_eq!(update.from.as_str(), "asdasdasdsadasd");
    assert_eq!(update.text(), Some("hello"));
    assert_eq!(
        update.raw.get("URL"),
        Some("http://wechat.laravel.so/server")
    );
    // EasyWeChat's testDecryptWithErrorAppId: the same payload for another AppID.
    assert_eq!(
        key(crate::SAMPLE_KEY).decrypt(EASYWECHAT_ENCRYPT, "invalid appid"),
        Err(DecryptError::AppId)
    );
}

// w7corp/easywechat tests/Kernel/Traits/DecryptXmlMessageTest.php, the WeCom
// official sample payload (key jWmYm7…, a non-canonical key); pad 30.
#[test]
fn easywechat_decrypt_pad_30() {
    let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
    assert!(verify(
        "477715d11cdb4164915debcba66cb864d751f3e6",
        &["QDG6eK", "1409659813", "1372623149", encrypt]
    ));
    let msg = key("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
        .decrypt(encrypt, "wx5823bf96d3bd56c7")
        .unwrap();
    let update = wechat_mp::Update::from_xml(msg.as_bytes()).unwrap();
    assert_eq!(update.text(), Some("hello"));
    assert_eq!(update.from.as_str(), "mycreate");
}

// ArtisanCloud/PowerWeChat src/kernel/Encryptor_test.go: a WeCom capture; pad 24.
// The test there constructs the decryptor with "1000005" although the payload
// names the corp id "wwedab3d5fc43636d8": PowerWeChat never checks the
// receive id. Here the wrong id is refused and the right one accepted.
#[test]
fn powerwechat_decrypt_pad_24_and_receive_id_check() {
    let encrypt = "ZBY4h9SD1Y/v+ighMGU4yHSVWyMuf2UdQQfFuB8S/SY5il9MynR1rtKIJDG871vOqaCs0FVje6bX0VyhvL02PG7FXjRR+rAyiwVv7T7nBGgamkPeOv4n/jXgFQnY6NEt3Zym09t4aI+21pDcE6uN6JzcC+hxw5sBfVyza3NHyuLiyhvalsFbasA4HNcnK+4/3eZLMo+e6yvHUsY4WhmZWW5u5mHcDZm1jtI2fUtzod6Sx7PrCOhm+zUO1I98OD0EmICxHHMjMkGmSFuGhG8vXRKaRavzvV/fkscZK1HjW+XJOV0c9wYDZT+/LTjDS/yx5KkM5lIksiw57DsCro9gvmE1WdvB3bw3m+5ie2x1ZRSuh6ik1rbMTiXgJXt0MnbV8VsyPe1zhkbug1cwdhT9zcOTieb0oyiIl3wSAEkNNBNBaWB+78V1hM/ngMoZgKaaasJUCGtPH/rN+YnxGicDOg==";
    assert!(verify(
        "d728d2bea7e28585ebd14eacbd330d84073fe7f1",
        &[
            "pcoLldqMu2WQQtYBeDX5HiXPsBFlTnDM",
            "1623301925",
            "1624217036",
            encrypt
        ]
    ));
    let k = key("CyjBvGm4tJNmcThkeL5Wajzom4jKlBygKtpTkYeqsnE");
    assert_eq!(k.decrypt(encrypt, "1000005"), Err(DecryptError::AppId));
    let msg = k.decrypt(encrypt, "wwedab3d5fc43636d8").unwrap();
    assert!(msg.contains("<Content><![CDATA[密文测试]]></Content>"));
    assert!(msg.contains("<MsgId>6972028683187026694</MsgId>"));
}

#[test]
fn all_published_keys_parse_including_non_canonical_ones() {
    for k in [
        OFFICIAL_KEY,
        crate::SAMPLE_KEY,
        WECHATPY_KEY,
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "CyjBvGm4tJNmcThkeL5Wajzom4jKlBygKtpTkYeqsnE",
    ] {
        AesKey::parse(k).unwrap();
    }
}
