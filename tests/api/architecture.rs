//! The layering of `src/` is kept by a test: every `crate::`, `super::` and `self::` path in
//! the crate is read, resolved to the module (file) it names, and checked against the layer
//! list below, which is the one `ARCHITECTURE.md` documents. A module may import modules of
//! its own layer or of layers below it, and the graph of modules must have no cycle.
//!
//! The reader is a small lexer, not a parser: it skips comments, strings and character
//! literals, follows inline `mod x { … }` blocks (so `super::` in a `mod tests` means the
//! file's own module) and expands `use` trees with braces.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. A unit is a top-level module, or a submodule that sits on another layer
/// than its parent (the HTTP faces of `nlu` and `service` are edges).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &["domain", "diag", "telemetry", "storage", "i18n"],
    ),
    ("engines", &["catalog", "nlu", "entities", "service"]),
    (
        "flows",
        &[
            "transcript",
            "dialogue",
            "handoff",
            "notify",
            "assist",
            "office",
            "privacy",
            "complaints",
            "reports",
            "incident",
            "compensation",
        ],
    ),
    (
        "edges",
        &[
            "http",
            "nlu::http",
            "service::http",
            "incident::http",
            "wechat",
            "desk",
        ],
    ),
    ("root", &["app", "config"]),
    ("cli", &["cli", "crate"]),
];

#[derive(Debug, Clone)]
struct Import {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

#[test]
fn modules_respect_the_layers_and_have_no_cycle() {
    let src = super::helpers::repo().join("src");
    let imports = read_imports(&src);
    let modules: BTreeSet<String> = module_files(&src).into_keys().collect();

    let mut problems = Vec::new();
    for m in &modules {
        if layer_of(&unit_of(m)).is_none() {
            problems.push(format!(
                "module `{m}` is in no layer: add it to LAYERS and to ARCHITECTURE.md"
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for i in &imports {
        let (from, to) = (unit_of(&i.from), unit_of(&i.to));
        if from == to || !seen.insert((i.file.clone(), i.line, i.to.clone())) {
            continue;
        }
        if let (Some(a), Some(b)) = (layer_of(&from), layer_of(&to)) {
            if b > a {
                problems.push(format!(
                    "{}:{}: `{}` ({}) imports `{}` ({}), a higher layer",
                    i.file.display(),
                    i.line,
                    i.from,
                    LAYERS[a].0,
                    i.to,
                    LAYERS[b].0
                ));
            }
        }
    }

    let unit_edges = unit_graph(&imports);
    let unit_cycles = components(&unit_edges);
    for c in &unit_cycles {
        let inside: BTreeSet<String> = imports
            .iter()
            .filter(|i| {
                let (a, b) = (unit_of(&i.from), unit_of(&i.to));
                a != b && c.contains(&a) && c.contains(&b)
            })
            .map(|i| {
                format!(
                    "    {}:{}: {} -> {}",
                    i.file.display(),
                    i.line,
                    i.from,
                    i.to
                )
            })
            .collect();
        problems.push(format!(
            "a cycle between {}; its imports:\n{}",
            c.iter().cloned().collect::<Vec<_>>().join(", "),
            join_lines(&inside)
        ));
    }

    // The file-level picture, for whoever reshapes a capability: cycles inside one unit
    // (a `mod.rs` re-exporting what its files import back) are allowed and only listed.
    let mut file_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in &imports {
        file_edges
            .entry(i.from.clone())
            .or_default()
            .insert(i.to.clone());
    }
    let file_cycles = components(&file_edges);
    eprintln!(
        "module graph: {} files, {} imports between files, {} between units",
        modules.len(),
        file_edges.values().map(BTreeSet::len).sum::<usize>(),
        unit_edges.values().map(BTreeSet::len).sum::<usize>()
    );
    eprintln!(
        "strongly connected components of units: {}",
        unit_cycles.len()
    );
    for c in &unit_cycles {
        eprintln!("  {} units: {}", c.len(), join(c));
    }
    eprintln!(
        "strongly connected components of files: {}",
        file_cycles.len()
    );
    for c in &file_cycles {
        eprintln!("  {} files: {}", c.len(), join(c));
    }

    assert!(
        problems.is_empty(),
        "the module graph breaks the layering ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The reader itself, on code written to trip it.
#[test]
fn the_import_reader_understands_rust() {
    let code = r##"
        //! crate::not_an_import
        use crate::a::{b, c::{D, E}, self as x};
        use super::sibling::*;
        /* crate::in_a_comment */
        const S: &str = "crate::in_a_string \" crate::still";
        const R: &str = r#"crate::raw"#;
        const C: char = '"';
        fn f<'a>(x: &'a str) { crate::f::g(x); }
        mod tests {
            use super::*;
            use super::super::up::Thing;
        }
    "##;
    let paths: Vec<String> = crate_paths(code)
        .into_iter()
        .map(|(p, _)| p.join("::"))
        .collect();
    assert_eq!(
        paths,
        vec![
            "crate::a::b",
            "crate::a::c::D",
            "crate::a::c::E",
            "crate::a",
            "super::sibling",
            "crate::f::g",
            "<mod>::super",
            "<mod>::super::super::up::Thing",
        ]
    );
}

fn join_lines(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join("\n")
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn unit_of(module: &str) -> String {
    if module.is_empty() {
        return "crate".to_owned();
    }
    let mut best = module.split("::").next().unwrap_or(module).to_owned();
    for (_, units) in LAYERS {
        for u in *units {
            let nested = module.starts_with(&format!("{u}::"));
            if (module == *u || nested) && u.len() > best.len() {
                best = (*u).to_owned();
            }
        }
    }
    best
}

fn layer_of(unit: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, units)| units.contains(&unit))
}

fn unit_graph(imports: &[Import]) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in imports {
        let (a, b) = (unit_of(&i.from), unit_of(&i.to));
        if a != b {
            g.entry(a).or_default().insert(b);
        }
    }
    g
}

/// Module path (`dialogue::ctx`, `` for the crate root) → file.
fn module_files(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|p| p == "mod") {
                    parts.pop();
                }
                if parts == ["lib"] || parts == ["main"] {
                    parts.clear();
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    out
}

fn read_imports(src: &Path) -> Vec<Import> {
    let files = module_files(src);
    let mut out = Vec::new();
    for (module, file) in &files {
        let code = std::fs::read_to_string(file).unwrap();
        let base: Vec<&str> = if module.is_empty() {
            Vec::new()
        } else {
            module.split("::").collect()
        };
        for (path, line) in crate_paths(&code) {
            // Absolute segments: `crate::…`, or relative to the file's module (and to the
            // inline modules the path stands in, marked `<mod>`).
            let mut segs: Vec<String> = Vec::new();
            let mut rest = path.as_slice();
            if rest.first().is_some_and(|s| s == "crate") {
                rest = &rest[1..];
            } else {
                segs = base.iter().map(|s| (*s).to_owned()).collect();
                let mut inline = 0;
                while rest.first().is_some_and(|s| s == "<mod>") {
                    inline += 1;
                    rest = &rest[1..];
                }
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "super" if inline > 0 => inline -= 1,
                        "super" => {
                            segs.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
                if inline > 0 {
                    // Still inside an inline module: it names nothing outside the file.
                    continue;
                }
            }
            segs.extend(rest.iter().cloned());
            // The deepest module the path reaches that is a file.
            let mut target = String::new();
            for n in 1..=segs.len() {
                let candidate = segs[..n].join("::");
                if files.contains_key(&candidate) {
                    target = candidate;
                } else {
                    break;
                }
            }
            if &target != module {
                out.push(Import {
                    from: module.clone(),
                    to: target,
                    file: file.strip_prefix(src.parent().unwrap()).unwrap().to_owned(),
                    line,
                });
            }
        }
    }
    out
}

/// Every path that starts with `crate`, `super` or `self` followed by `::`, with `use`
/// trees expanded, and the line it is on. Paths inside inline modules start with one
/// `<mod>` per enclosing inline module.
fn crate_paths(code: &str) -> Vec<(Vec<String>, usize)> {
    let tokens = lex(code);
    let mut out = Vec::new();
    // Brace depths at which inline `mod x {` blocks opened.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let (tok, line) = (&tokens[i].0, tokens[i].1);
        match tok.as_str() {
            "{" => {
                if i >= 2 && tokens[i - 2].0 == "mod" {
                    inline.push(depth);
                }
                depth += 1;
            }
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            "crate" | "super" | "self"
                if tokens.get(i + 1).is_some_and(|t| t.0 == "::")
                    && (i == 0 || tokens[i - 1].0 != "::") =>
            {
                let (trees, next) = use_tree(&tokens, i);
                for mut p in trees {
                    if p[0] != "crate" {
                        let mut marked = vec!["<mod>".to_owned(); inline.len()];
                        marked.append(&mut p);
                        p = marked;
                    }
                    out.push((p, line));
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Expands the path (or `use` tree) starting at token `i`; returns the paths and the
/// index after it.
fn use_tree(tokens: &[(String, usize)], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix: Vec<String> = Vec::new();
    loop {
        let Some((tok, _)) = tokens.get(i) else {
            return (vec![prefix], i);
        };
        if tok == "{" {
            let mut out = Vec::new();
            i += 1;
            while let Some((t, _)) = tokens.get(i) {
                match t.as_str() {
                    "}" => {
                        i += 1;
                        break;
                    }
                    "," => i += 1,
                    _ => {
                        let (subs, next) = use_tree(tokens, i);
                        for s in subs {
                            // `self` in a group names the prefix itself.
                            let s: Vec<String> = s.into_iter().filter(|x| x != "self").collect();
                            let mut p = prefix.clone();
                            p.extend(s);
                            out.push(p);
                        }
                        i = next;
                    }
                }
            }
            return (out, i);
        }
        if tok == "*" {
            return (vec![prefix], i + 1);
        }
        if !is_ident(tok) {
            return (vec![prefix], i);
        }
        prefix.push(tok.clone());
        i += 1;
        match tokens.get(i).map(|t| t.0.as_str()) {
            Some("::") => i += 1,
            Some("as") => return (vec![prefix], i + 2),
            _ => return (vec![prefix], i),
        }
    }
}

fn is_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::` and single punctuation, with their line; comments, strings and
/// character literals are dropped.
fn lex(code: &str) -> Vec<(String, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut nest = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    nest += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && at(i + 1) == 'r'))
            && matches!(at(i + 1 + usize::from(c == 'b')), '"' | '#')
            && {
                let mut j = i + 1 + usize::from(c == 'b');
                while at(j) == '#' {
                    j += 1;
                }
                at(j) == '"'
            }
        {
            let mut j = i + 1 + usize::from(c == 'b');
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                if chars[j] == '\n' {
                    line += 1;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            let mut j = i + if c == 'b' { 2 } else { 1 };
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                if at(j) == '\n' {
                    line += 1;
                }
                j += 1;
            }
            i = j + 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((chars[start..i].iter().collect(), line));
        } else if c == ':' && at(i + 1) == ':' {
            out.push(("::".to_owned(), line));
            i += 2;
        } else {
            out.push((c.to_string(), line));
            i += 1;
        }
    }
    out
}

/// Strongly connected components with more than one node (Tarjan).
fn components(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            if let Some(next) = self.g.get(v) {
                for w in next {
                    if !self.index.contains_key(w.as_str()) {
                        self.visit(w);
                        let l = self.low[w.as_str()].min(self.low[v]);
                        self.low.insert(v, l);
                    } else if self.on.contains(w.as_str()) {
                        let l = self.index[w.as_str()].min(self.low[v]);
                        self.low.insert(v, l);
                    }
                }
            }
            if self.low[v] == self.index[v] {
                let mut c = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    c.insert(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if c.len() > 1 {
                    self.out.push(c);
                }
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}
