//! The data files as one in-memory set: read from directories, or rendered from a published
//! version, and read by the same loader either way (so every check and every `file:line`
//! holds for both).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Files by path. Only files directly in a directory are listed, as on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSet {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl FileSet {
    /// Every regular file directly in each of `dirs` (missing directories are skipped, the
    /// loader reports them when it lists them).
    pub fn read_dirs(dirs: &[&Path]) -> std::io::Result<Self> {
        let mut set = Self::default();
        for dir in dirs {
            let Ok(read) = fs::read_dir(dir) else {
                continue;
            };
            for entry in read {
                let path = entry?.path();
                if path.is_file() {
                    let bytes = fs::read(&path)?;
                    set.files.insert(path, bytes);
                }
            }
        }
        Ok(set)
    }

    pub fn insert(&mut self, path: PathBuf, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path, bytes.into());
    }

    pub fn remove(&mut self, path: &Path) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    pub fn get(&self, path: &Path) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    pub fn has_dir(&self, dir: &Path) -> bool {
        self.files.keys().any(|p| p.parent() == Some(dir))
    }

    /// Files with extension `ext` directly in `dir`, sorted by name.
    pub fn list(&self, dir: &Path, ext: &str) -> Vec<PathBuf> {
        self.files
            .keys()
            .filter(|p| p.parent() == Some(dir) && p.extension().is_some_and(|e| e == ext))
            .cloned()
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Path, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_path(), b.as_slice()))
    }

    /// Writes every file under `dir`, each at its name relative to `base`.
    pub fn write_under(&self, base: &Path, dir: &Path) -> std::io::Result<()> {
        for (path, bytes) in &self.files {
            let rel = path.strip_prefix(base).unwrap_or(path);
            let to = dir.join(rel);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(to, bytes)?;
        }
        Ok(())
    }
}
