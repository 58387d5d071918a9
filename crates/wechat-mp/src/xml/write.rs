use std::fmt::Write as _;

/// Builds reply documents with CDATA text that is always well-formed.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// Starts a document with the `<xml>` root open.
    pub fn new() -> Self {
        Self {
            out: String::from("<xml>"),
        }
    }

    /// `<name><![CDATA[value]]></name>`, with `]]>` split across two sections
    /// and characters that XML 1.0 forbids removed.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        push_cdata(&mut self.out, value);
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// `<name>value</name>` for numbers.
    pub fn number(&mut self, name: &str, value: i64) -> &mut Self {
        let _ = write!(self.out, "<{name}>{value}</{name}>");
        self
    }

    /// Opens a container element.
    pub fn open(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        self
    }

    /// Closes a container element.
    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// Closes the root and returns the document.
    pub fn finish(mut self) -> String {
        self.out.push_str("</xml>");
        self.out
    }
}

fn push_cdata(out: &mut String, value: &str) {
    out.push_str("<![CDATA[");
    let mut first = true;
    for piece in value.split("]]>") {
        if !first {
            // Ends the section after "]]" and reopens it for ">".
            out.push_str("]]]]><![CDATA[>");
        }
        first = false;
        out.extend(piece.chars().filter(|c| is_xml_char(*c)));
    }
    out.push_str("]]>");
}

/// XML 1.0 `Char`: users paste control characters (seen in nicknames and
/// copied text) that make strict parsers, WeChat's included, reject the reply.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cdata_terminators_and_strips_control_characters() {
        let mut w = XmlWriter::new();
        w.text("Content", "a]]>b\u{0}\u{14}c😀");
        let doc = w.finish();
        assert_eq!(
            doc,
            "<xml><Content><![CDATA[a]]]]><![CDATA[>b\u{0}c😀]]></Content></xml>"
                .replace('\u{0}', "")
        );
        let Ok(fields) = crate::xml::parse(doc.as_bytes()) else {
            panic!("must parse")
        };
        assert_eq!(fields.get("Content"), Some("a]]>bc😀"));
    }
}
