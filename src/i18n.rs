//! Every user-visible string that is not a phrasebook reply, from Fluent files in
//! `locales/<lang>/*.ftl`. zh-CN is the reference locale; the others must hold the same ids.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;
use unic_langid::LanguageIdentifier;

use crate::diag::{Diagnostic, Severity};

/// Ids the code asks for: each must exist in every locale.
pub const REQUIRED: &[&str] = &[
    "bot-welcome",
    "bot-not-understood",
    "bot-clarify-intro",
    "bot-clarify-option",
    "bot-clarify-outro",
    "bot-unsupported-kind",
    "bot-service-unavailable",
    "bot-reply-later",
    "kind-image",
    "kind-voice",
    "kind-video",
    "kind-shortvideo",
    "kind-location",
    "kind-link",
    "kind-file",
    "kind-unknown",
    "error-bad-request",
    "error-empty-text",
    "error-text-too-long",
    "error-payload-too-large",
    "error-unsupported-media",
    "error-not-found",
    "error-internal",
    "error-unauthorized",
    "error-forbidden",
    "error-rate-limited",
    "dialogue-cancelled",
    "dialogue-timeout-restart",
    "dialogue-declined",
    "dialogue-switched",
    "dialogue-resume",
    "dialogue-choose-account",
    "dialogue-choose-account-again",
    "dialogue-account-option",
    "dialogue-verify-failed",
    "dialogue-verify-locked",
    "dialogue-offer-human",
    "dialogue-clarify-again",
    "dialogue-image-received",
    "dialogue-image-no-form",
    "slot-verification",
    "slot-confirm",
    "slot-confirm-yes-no",
    "slot-invalid-account-no",
    "slot-invalid-phone",
    "slot-invalid-date",
    "slot-invalid-area",
    "slot-date-in-past",
    "form-summary-intro",
    "field-line",
    "field-skipped",
    "field-account-no",
    "field-area-value",
    "field-images-value",
    "binding-done",
    "binding-limit",
    "binding-already",
    "binding-not-bound",
    "binding-none",
    "binding-unbound",
    "binding-list-intro",
    "payment-header",
    "payment-bill",
    "payment-arrears",
    "payment-no-arrears",
    "payment-recent",
    "hall-item",
    "hall-nearest",
    "status-none",
    "status-request",
    "status-event",
    "status-event-note",
    "status-next",
    "status-urgent",
    "suspension-quote",
    "resumption-quote",
    "area-preview-direct",
    "area-preview-review",
    "invoice-not-online",
    "leak-recorded",
    "request-created",
    "request-next-suspension",
    "request-next-resumption",
    "request-next-visit",
    "request-next-leak",
    "request-next-invoice",
    "request-next-area-approved",
    "request-next-area-review",
    "outbox-created",
    "outbox-failed",
    "service-unavailable",
    "service-refused",
    "service-invalid",
    "service-account-not-found",
    "service-area-absurd",
    "interruption-told",
    "interruption-offer",
    "interruption-which-estate",
    "interruption-notice-eta",
    "interruption-notice-restored",
    "triage-season-not-started",
    "triage-suspended",
    "triage-valve-closed",
    "triage-arrears",
    "triage-self-check",
    "triage-button-still-cold",
    "triage-button-warm-now",
    "triage-resolved",
];

/// The reference locale every other locale is compared with.
pub const REFERENCE: &str = "zh-CN";

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("cannot read locales from {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("locale directory name `{0}` is not a language tag")]
    BadTag(String),
    #[error("{0}")]
    Invalid(String),
}

pub struct Locales {
    bundles: BTreeMap<String, FluentBundle<FluentResource>>,
    default: String,
}

impl std::fmt::Debug for Locales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locales")
            .field("locales", &self.bundles.keys())
            .finish()
    }
}

struct LocaleFile {
    path: PathBuf,
    text: String,
}

fn locale_dirs(dir: &Path) -> Result<Vec<(String, Vec<LocaleFile>)>, I18nError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| I18nError::Io { path, source }
    };
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let tag = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let mut files: Vec<PathBuf> = fs::read_dir(&d)
            .map_err(io(&d))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort();
        let mut loaded = Vec::new();
        for path in files {
            let text = fs::read_to_string(&path).map_err(io(&path))?;
            loaded.push(LocaleFile { path, text });
        }
        out.push((tag, loaded));
    }
    Ok(out)
}

fn message_ids(res: &FluentResource) -> impl Iterator<Item = &str> {
    res.entries().filter_map(|e| match e {
        ast::Entry::Message(m) => Some(m.id.name),
        _ => None,
    })
}

/// Checks the locale files: syntax, the ids the code needs, `extra` ids the data cites,
/// and that every locale has the reference locale's ids.
pub fn check_dir(dir: &Path, extra: &[(&str, &Path)]) -> Result<Vec<Diagnostic>, I18nError> {
    let mut diags = Vec::new();
    let mut err = |file: &Path, line: usize, message: String| {
        diags.push(Diagnostic {
            file: file.to_path_buf(),
            line,
            severity: Severity::Error,
            message,
        });
    };
    let mut ids_by_locale: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (tag, files) in locale_dirs(dir)? {
        let ids = ids_by_locale.entry(tag.clone()).or_default();
        for f in files {
            let res = match FluentResource::try_new(f.text.clone()) {
                Ok(r) => r,
                Err((r, errors)) => {
                    for e in errors {
                        let line = crate::diag::line_of(&f.text, e.pos.start);
                        err(&f.path, line, format!("Fluent syntax: {}", e.kind));
                    }
                    r
                }
            };
            ids.extend(message_ids(&res).map(str::to_owned));
        }
        let here = dir.join(&tag);
        for id in REQUIRED {
            if !ids.contains(*id) {
                err(&here, 0, format!("locale `{tag}` lacks message `{id}`"));
            }
        }
        for (id, cited_in) in extra {
            if !ids.contains(*id) {
                err(
                    cited_in,
                    0,
                    format!("message `{id}` is missing from locale `{tag}`"),
                );
            }
        }
    }
    let Some(reference) = ids_by_locale.get(REFERENCE).cloned() else {
        err(
            dir,
            0,
            format!("the reference locale `{REFERENCE}` is missing"),
        );
        return Ok(diags);
    };
    for (tag, ids) in &ids_by_locale {
        for id in reference.difference(ids) {
            err(
                &dir.join(tag),
                0,
                format!("locale `{tag}` lacks `{id}` that `{REFERENCE}` has"),
            );
        }
        for id in ids.difference(&reference) {
            err(
                &dir.join(tag),
                0,
                format!("locale `{tag}` has `{id}` that `{REFERENCE}` lacks"),
            );
        }
    }
    Ok(diags)
}

impl Locales {
    pub fn load(dir: &Path, default: &str) -> Result<Self, I18nError> {
        let mut bundles = BTreeMap::new();
        for (tag, files) in locale_dirs(dir)? {
            let langid: LanguageIdentifier =
                tag.parse().map_err(|_| I18nError::BadTag(tag.clone()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Replies go out as WeChat plain text, where isolation marks would show as junk.
            bundle.set_use_isolating(false);
            for f in files {
                let res = FluentResource::try_new(f.text).map_err(|_| {
                    I18nError::Invalid(format!("{}: Fluent syntax error", f.path.display()))
                })?;
                bundle
                    .add_resource(res)
                    .map_err(|e| I18nError::Invalid(format!("{}: {e:?}", f.path.display())))?;
            }
            bundles.insert(tag, bundle);
        }
        if !bundles.contains_key(default) {
            return Err(I18nError::Invalid(format!(
                "default locale `{default}` has no files"
            )));
        }
        Ok(Self {
            bundles,
            default: default.to_owned(),
        })
    }

    pub fn default_locale(&self) -> &str {
        &self.default
    }

    /// The best supported locale for an `Accept-Language` header (or a bare tag).
    pub fn negotiate(&self, accept: Option<&str>) -> &str {
        let wanted = accept
            .unwrap_or_default()
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim());
        for want in wanted.filter(|w| !w.is_empty()) {
            let lang = want.split('-').next().unwrap_or(want);
            if let Some(tag) = self
                .bundles
                .keys()
                .find(|t| t.eq_ignore_ascii_case(want))
                .or_else(|| {
                    self.bundles.keys().find(|t| {
                        t.split('-')
                            .next()
                            .is_some_and(|l| l.eq_ignore_ascii_case(lang))
                    })
                })
            {
                return tag;
            }
        }
        &self.default
    }

    /// A message in `locale` (falling back to the default locale, then to the id itself).
    pub fn text(&self, locale: &str, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        [locale, self.default.as_str()]
            .into_iter()
            .filter_map(|l| self.bundles.get(l))
            .find_map(|b| {
                let pattern = b.get_message(id)?.value()?;
                let mut errors = Vec::new();
                Some(
                    b.format_pattern(pattern, Some(&fargs), &mut errors)
                        .into_owned(),
                )
            })
            .unwrap_or_else(|| id.to_owned())
    }

    pub fn locales(&self) -> impl Iterator<Item = &str> {
        self.bundles.keys().map(String::as_str)
    }
}
