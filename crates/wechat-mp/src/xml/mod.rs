//! Just enough XML for WeChat's flat `<xml>` documents.
//!
//! Elements are read into an ordered list of `(path, text)` pairs; nested
//! elements get a `Parent/Child` path. Order and repetition are kept so news
//! articles and unknown pushes survive intact.

mod read;
mod write;

pub use read::{parse, XmlError};
pub use write::XmlWriter;

/// The leaf elements of a WeChat XML document, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// An empty set of fields.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The first value at `path` (e.g. `"Content"` or `"ScanCodeInfo/ScanType"`).
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, value)| value.as_str())
    }

    /// Every value at `path`, in document order.
    pub fn get_all<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(name, _)| name == path)
            .map(|(_, value)| value.as_str())
    }

    /// All pairs in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Appends a pair.
    pub fn push(&mut self, path: impl Into<String>, value: impl Into<String>) {
        self.0.push((path.into(), value.into()));
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
