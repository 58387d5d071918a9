use quick_xml::events::Event;
use quick_xml::Reader;

use super::Fields;

/// Why a body is not a WeChat XML document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The body is not UTF-8.
    #[error("the body is not valid UTF-8 (byte {0})")]
    Utf8(usize),
    /// The document is not well-formed.
    #[error("malformed XML: {0}")]
    Syntax(String),
    /// The root element is not `<xml>`.
    #[error("the root element is not <xml>")]
    Root,
    /// The document declares a DTD; refused so no entity tricks reach the parser.
    #[error("DOCTYPE declarations are not accepted")]
    Doctype,
    /// Elements are nested deeper than any WeChat push.
    #[error("elements nested too deeply")]
    TooDeep,
}

const MAX_DEPTH: usize = 8;

/// Parses a WeChat XML body into its leaf fields.
///
/// Invalid UTF-8 is reported as an error rather than replaced, so a corrupted
/// body never turns into a message the user did not send.
pub fn parse(body: &[u8]) -> Result<Fields, XmlError> {
    let text = std::str::from_utf8(body).map_err(|e| XmlError::Utf8(e.valid_up_to()))?;
    parse_str(text)
}

fn parse_str(text: &str) -> Result<Fields, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut fields = Fields::new();
    // Each open element with whether it has child elements (then it is no leaf).
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut buffer = String::new();
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Syntax(e.to_string()))?;
        match event {
            Event::Start(start) => {
                let name = element_name(start.name().as_ref())?;
                if stack.is_empty() {
                    if seen_root || name != "xml" {
                        return Err(XmlError::Root);
                    }
                    seen_root = true;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if let Some(parent) = stack.last_mut() {
                    parent.1 = true;
                }
                stack.push((name, false));
                buffer.clear();
            }
            Event::Empty(empty) => {
                let name = element_name(empty.name().as_ref())?;
                if stack.is_empty() {
                    return Err(XmlError::Root);
                }
                if let Some(parent) = stack.last_mut() {
                    parent.1 = true;
                }
                fields.push(path_of(&stack[1..], &name), "");
            }
            Event::Text(t) => {
                let unescaped = t.unescape().map_err(|e| XmlError::Syntax(e.to_string()))?;
                buffer.push_str(&unescaped);
            }
            Event::CData(c) => {
                let raw = std::str::from_utf8(&c).map_err(|e| XmlError::Utf8(e.valid_up_to()))?;
                buffer.push_str(raw);
            }
            Event::End(_) => {
                let Some((name, has_children)) = stack.pop() else {
                    return Err(XmlError::Syntax("unbalanced end tag".into()));
                };
                if !stack.is_empty() && !has_children {
                    fields.push(path_of(&stack[1..], &name), std::mem::take(&mut buffer));
                }
                buffer.clear();
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
    if !seen_root || !stack.is_empty() {
        return Err(XmlError::Root);
    }
    Ok(fields)
}

fn element_name(raw: &[u8]) -> Result<String, XmlError> {
    std::str::from_utf8(raw)
        .map(str::to_owned)
        .map_err(|e| XmlError::Utf8(e.valid_up_to()))
}

fn path_of(parents: &[(String, bool)], name: &str) -> String {
    let mut path = String::new();
    for (parent, _) in parents {
        path.push_str(parent);
        path.push('/');
    }
    path.push_str(name);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_elements_get_paths_and_parents_are_not_leaves() {
        let xml = "<xml><A><![CDATA[1]]></A><B><C>2</C><C>3</C></B><D/></xml>";
        let Ok(fields) = parse(xml.as_bytes()) else {
            panic!("must parse")
        };
        let pairs: Vec<_> = fields.iter().collect();
        assert_eq!(
            pairs,
            vec![("A", "1"), ("B/C", "2"), ("B/C", "3"), ("D", "")]
        );
    }

    #[test]
    fn cdata_keeps_surrounding_spaces_and_entities_are_unescaped() {
        let Ok(fields) = parse(b"<xml><A><![CDATA[ a ]]></A><B>x &amp; y</B></xml>") else {
            panic!("must parse")
        };
        assert_eq!(fields.get("A"), Some(" a "));
        assert_eq!(fields.get("B"), Some("x & y"));
    }

    #[test]
    fn rejects_doctype_wrong_root_and_bad_utf8() {
        let xxe = "<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><A>&e;</A></xml>";
        assert_eq!(parse(xxe.as_bytes()), Err(XmlError::Doctype));
        assert_eq!(parse(b"<html></html>"), Err(XmlError::Root));
        assert_eq!(parse(b"<xml><A>\xff</A></xml>"), Err(XmlError::Utf8(8)));
        assert!(parse(b"<xml><A>").is_err());
        assert!(parse(b"").is_err());
    }
}
