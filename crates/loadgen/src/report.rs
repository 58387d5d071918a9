//! What a run counted, and the report printed from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::rss::Memory;

/// Counters filled while the run goes on; only measured messages (after the warm-up) count.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Latency of answered messages, in microseconds.
    pub latency: Histogram<u64>,
    /// Messages sent.
    pub sent: u64,
    /// Messages whose answer was valid.
    pub ok: u64,
    /// Failures by kind.
    pub errors: BTreeMap<String, u64>,
    /// Valid answers that carried a passive reply.
    pub passive: u64,
    /// Valid answers that were `success` (the answer, if any, follows later).
    pub success: u64,
    /// Scripts started.
    pub scripts_started: u64,
    /// Scripts whose last message was answered.
    pub scripts_finished: u64,
    /// Finished scripts whose last reply had an expected text.
    pub scripts_expected: u64,
    /// Finished scripts whose last reply had none of the expected texts, by script.
    pub scripts_unexpected: BTreeMap<String, u64>,
    /// Scripts ended early by one of their `end_on` texts, by script.
    pub scripts_ended_early: BTreeMap<String, u64>,
    /// Finished scripts with an expectation whose last answer was `success`.
    pub scripts_unchecked: u64,
    /// Scripts abandoned after an error.
    pub scripts_aborted: u64,
    /// OpenIDs that sent at least one message.
    pub openids: u64,
    /// Messages by URL, in the order of `--url` (grows to the highest index counted).
    pub by_url: Vec<UrlStats>,
    /// The desk page's requests (`--desk-page`).
    pub desk: crate::desk::DeskStats,
}

/// Counters of the messages sent to one URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlStats {
    /// Messages sent to the URL.
    pub sent: u64,
    /// Messages whose answer was valid.
    pub ok: u64,
    /// Failures by kind.
    pub errors: BTreeMap<String, u64>,
}

/// An empty histogram of latencies in microseconds: three significant digits, growing to
/// any latency.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 digits are valid"))
}

/// Records `latency` in microseconds (at least 1).
pub fn record_micros(h: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    // Auto-resizing: recording cannot fail for values the histogram can grow to.
    let _ = h.record(micros);
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Empty counters.
    pub fn new() -> Self {
        Self {
            latency: latency_histogram(),
            sent: 0,
            ok: 0,
            errors: BTreeMap::new(),
            passive: 0,
            success: 0,
            scripts_started: 0,
            scripts_finished: 0,
            scripts_expected: 0,
            scripts_unexpected: BTreeMap::new(),
            scripts_ended_early: BTreeMap::new(),
            scripts_unchecked: 0,
            scripts_aborted: 0,
            openids: 0,
            by_url: Vec::new(),
            desk: crate::desk::DeskStats::default(),
        }
    }

    /// Counts one message sent to URL number `index`: answered (`error` is `None`) or
    /// failed with `error`.
    pub fn count_url(&mut self, index: usize, error: Option<&str>) {
        if self.by_url.len() <= index {
            self.by_url.resize_with(index + 1, UrlStats::default);
        }
        let url = &mut self.by_url[index];
        url.sent += 1;
        match error {
            None => url.ok += 1,
            Some(kind) => *url.errors.entry(kind.to_owned()).or_default() += 1,
        }
    }

    /// Records the latency of a valid answer.
    pub fn record_latency(&mut self, latency: Duration) {
        record_micros(&mut self.latency, latency);
    }

    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }

    /// Total errors.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// Percentiles of a histogram of microseconds, `None` when it is empty.
    pub fn from_histogram(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let ms = |micros: u64| round3(micros as f64 / 1000.0);
        Some(Self {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: round3(h.mean() / 1000.0),
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The valid answers by kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replies {
    /// A passive reply in the HTTP response.
    pub passive: u64,
    /// `success`: answered later through the customer-service API, or not at all.
    pub success: u64,
}

/// How the scripts went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScriptOutcomes {
    /// Started (some are cut off when the run stops).
    pub started: u64,
    /// Last message answered, or ended early by an `end_on` text.
    pub finished: u64,
    /// Finished with an expected text in the last reply.
    pub as_expected: u64,
    /// Finished without any expected text, by script name.
    pub unexpected: BTreeMap<String, u64>,
    /// Ended early by one of its `end_on` texts (a refusal the script allows for), by script.
    pub ended_early: BTreeMap<String, u64>,
    /// Finished with `success` as the last answer, so not checkable.
    pub unchecked: u64,
    /// Abandoned after an error.
    pub aborted: u64,
}

/// The memory of one server process, when it could be read.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Process {
    /// The process read.
    pub pid: u32,
    /// RSS before the run, MB.
    pub rss_mb_start: Option<f64>,
    /// RSS after the run, MB.
    pub rss_mb: Option<f64>,
    /// Peak RSS (VmHWM) since the process started, MB.
    pub peak_mb: Option<f64>,
    /// Why the figures are missing.
    pub note: Option<String>,
}

/// What was read of one server process: its memory before and after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The process.
    pub pid: u32,
    /// Before the run.
    pub start: Option<Memory>,
    /// After the run.
    pub end: Option<Memory>,
}

/// The server's memory: every process read and, at the top level, their sum (for one
/// process, its own figures).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Server {
    /// The process read, when there is exactly one (all of them are in `processes`).
    pub pid: Option<u32>,
    /// RSS before the run, MB, summed over the processes.
    pub rss_mb_start: Option<f64>,
    /// RSS after the run, MB, summed over the processes.
    pub rss_mb: Option<f64>,
    /// Peak RSS (VmHWM) since each process started, MB, summed over the processes.
    pub peak_mb: Option<f64>,
    /// Each process, in the order given (or found).
    pub processes: Vec<Process>,
    /// Why the figures are missing.
    pub note: Option<String>,
}

impl Server {
    /// No process to read, and why.
    pub fn unknown(note: impl Into<String>) -> Self {
        Self {
            note: Some(note.into()),
            ..Self::default()
        }
    }

    /// The figures of the processes read. A sum is given only when every process has the
    /// figure; it is computed from kilobytes, so it may differ from the sum of the rounded
    /// per-process megabytes by a tenth.
    pub fn from_readings(readings: &[Reading]) -> Self {
        let processes: Vec<Process> = readings
            .iter()
            .map(|r| match r.end {
                None => Process {
                    pid: r.pid,
                    note: Some(format!("cannot read /proc/{}/status", r.pid)),
                    ..Process::default()
                },
                Some(end) => Process {
                    pid: r.pid,
                    rss_mb_start: r.start.map(|m| mb(m.rss_kb)),
                    rss_mb: Some(mb(end.rss_kb)),
                    peak_mb: end.hwm_kb.map(mb),
                    note: None,
                },
            })
            .collect();
        let sum = |kb: fn(&Reading) -> Option<u64>| -> Option<f64> {
            if readings.is_empty() || readings.iter().any(|r| r.end.is_none()) {
                return None;
            }
            readings.iter().map(kb).sum::<Option<u64>>().map(mb)
        };
        let note = match processes.as_slice() {
            [] => Some("no server process".to_owned()),
            [one] => one.note.clone(),
            _ => None,
        };
        Self {
            pid: match readings {
                [one] => Some(one.pid),
                _ => None,
            },
            rss_mb_start: sum(|r| r.start.map(|m| m.rss_kb)),
            rss_mb: sum(|r| r.end.map(|m| m.rss_kb)),
            peak_mb: sum(|r| r.end.and_then(|m| m.hwm_kb)),
            processes,
            note,
        }
    }
}

/// `RSS 127.5 MB (start 118.8 MB), peak 127.5 MB`, as far as the figures are known.
fn memory_text(rss: Option<f64>, start: Option<f64>, peak: Option<f64>) -> String {
    let Some(rss) = rss else {
        return "RSS unknown".to_owned();
    };
    let mut out = format!("RSS {rss:.1} MB");
    if let Some(start) = start {
        let _ = write!(out, " (start {start:.1} MB)");
    }
    if let Some(peak) = peak {
        let _ = write!(out, ", peak {peak:.1} MB");
    }
    out
}

/// `timeout 3, http_502 1`.
fn kinds_text(kinds: &BTreeMap<String, u64>) -> String {
    kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The messages sent to one URL.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UrlReport {
    /// The callback URL.
    pub url: String,
    /// Messages sent to it in the measured period.
    pub sent: u64,
    /// Messages with a valid answer.
    pub ok: u64,
    /// Messages without one.
    pub errors: u64,
    /// Errors by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
}

/// Kilobytes (as `/proc` counts them) to megabytes, one decimal.
pub fn mb(kb: u64) -> f64 {
    round1(kb as f64 / 1024.0)
}

/// Everything a run reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// `plaintext` or `safe`.
    pub mode: &'static str,
    /// The (first) callback URL; all of them are in `urls`.
    pub url: String,
    /// Every callback URL, in the order of `--url` (messages go to them in turn), with
    /// what was sent to it.
    pub urls: Vec<UrlReport>,
    /// The mix of scripts.
    pub mix: String,
    /// The seed of the script choice.
    pub seed: u64,
    /// Concurrent residents.
    pub residents: usize,
    /// Distinct OpenIDs that sent a measured message (a resident that ran a fresh script
    /// hands its slot to a new OpenID).
    pub openids: u64,
    /// Concurrent requests at most.
    pub connections: usize,
    /// `--rate`: messages per second at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<f64>,
    /// Warm-up, not counted, seconds.
    pub warmup_s: f64,
    /// Measured period: from the end of the warm-up to the last measured answer, seconds.
    pub duration_s: f64,
    /// Messages sent in the measured period.
    pub sent: u64,
    /// Messages with a valid answer.
    pub ok: u64,
    /// Messages without one.
    pub errors: u64,
    /// Errors by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// `errors / sent`.
    pub error_rate: f64,
    /// Valid answers per second of the measured period.
    pub messages_per_s: f64,
    /// Latency of valid answers, send to last byte; absent when there were none.
    pub latency_ms: Option<Latency>,
    /// Valid answers by kind.
    pub replies: Replies,
    /// Scripts.
    pub scripts: ScriptOutcomes,
    /// Server memory.
    pub server: Server,
    /// The desk page read meanwhile (`--desk-page`).
    pub desk: Option<DeskReport>,
}

/// How the desk page fared while the residents wrote.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeskReport {
    /// The page.
    pub page: String,
    /// Its requests in flight at most.
    pub connections: usize,
    /// Requests sent in the measured period.
    pub sent: u64,
    /// Answered 200.
    pub ok: u64,
    /// Not answered 200.
    pub errors: u64,
    /// Errors by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Requests answered 200 per second of the measured period.
    pub requests_per_s: f64,
    /// Latency of requests answered 200; absent when there were none.
    pub latency_ms: Option<Latency>,
}

/// What the run was, besides what it counted.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// `plaintext` or `safe`.
    pub mode: &'static str,
    /// The callback URLs, in the order of `--url`.
    pub urls: Vec<String>,
    /// The mix name.
    pub mix: String,
    /// Seed.
    pub seed: u64,
    /// Residents.
    pub residents: usize,
    /// Connections.
    pub connections: usize,
    /// `--rate`.
    pub rate: Option<f64>,
    /// Warm-up.
    pub warmup: Duration,
    /// Measured period.
    pub measured: Duration,
    /// The desk page read meanwhile and its connections (`--desk-page`).
    pub desk: Option<(String, usize)>,
}

impl Report {
    /// The report of a run.
    pub fn new(info: RunInfo, stats: &Stats, server: Server) -> Self {
        let secs = info.measured.as_secs_f64();
        let errors = stats.error_count();
        let urls = info
            .urls
            .iter()
            .enumerate()
            .map(|(index, url)| {
                let counted = stats.by_url.get(index).cloned().unwrap_or_default();
                UrlReport {
                    url: url.clone(),
                    sent: counted.sent,
                    ok: counted.ok,
                    errors: counted.errors.values().sum(),
                    errors_by_kind: counted.errors,
                }
            })
            .collect();
        Self {
            mode: info.mode,
            url: info.urls.first().cloned().unwrap_or_default(),
            urls,
            mix: info.mix,
            seed: info.seed,
            residents: info.residents,
            openids: stats.openids,
            connections: info.connections,
            rate_limit: info.rate,
            warmup_s: round3(info.warmup.as_secs_f64()),
            duration_s: round3(secs),
            sent: stats.sent,
            ok: stats.ok,
            errors,
            errors_by_kind: stats.errors.clone(),
            error_rate: if stats.sent == 0 {
                0.0
            } else {
                round6(errors as f64 / stats.sent as f64)
            },
            messages_per_s: if secs > 0.0 {
                round1(stats.ok as f64 / secs)
            } else {
                0.0
            },
            latency_ms: Latency::from_histogram(&stats.latency),
            replies: Replies {
                passive: stats.passive,
                success: stats.success,
            },
            scripts: ScriptOutcomes {
                started: stats.scripts_started,
                finished: stats.scripts_finished,
                as_expected: stats.scripts_expected,
                unexpected: stats.scripts_unexpected.clone(),
                ended_early: stats.scripts_ended_early.clone(),
                unchecked: stats.scripts_unchecked,
                aborted: stats.scripts_aborted,
            },
            server,
            desk: info.desk.map(|(page, connections)| DeskReport {
                page,
                connections,
                sent: stats.desk.sent,
                ok: stats.desk.ok,
                errors: stats.desk.errors.values().sum(),
                errors_by_kind: stats.desk.errors.clone(),
                requests_per_s: if secs > 0.0 {
                    round1(stats.desk.ok as f64 / secs)
                } else {
                    0.0
                },
                latency_ms: Latency::from_histogram(&stats.desk.latency),
            }),
        }
    }

    /// The short human report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "loadgen: {} mode, {} residents ({} OpenIDs), {} connections{}, mix {}, seed {}",
            self.mode,
            self.residents,
            self.openids,
            self.connections,
            self.rate_limit
                .map(|r| format!(", at most {r} messages/s"))
                .unwrap_or_default(),
            self.mix,
            self.seed
        );
        if self.urls.len() > 1 {
            let _ = writeln!(
                out,
                "urls      {} in round-robin order  (measured {:.1} s after {:.1} s warm-up)",
                self.urls.len(),
                self.duration_s,
                self.warmup_s
            );
            let width = self.urls.iter().map(|u| u.url.len()).max().unwrap_or(0);
            for u in &self.urls {
                let _ = write!(
                    out,
                    "          {:<width$}  {} sent, {} ok, {} errors",
                    u.url, u.sent, u.ok, u.errors
                );
                if !u.errors_by_kind.is_empty() {
                    let _ = write!(out, " ({})", kinds_text(&u.errors_by_kind));
                }
                out.push('\n');
            }
        } else {
            let _ = writeln!(
                out,
                "url       {}  (measured {:.1} s after {:.1} s warm-up)",
                self.url, self.duration_s, self.warmup_s
            );
        }
        let _ = write!(
            out,
            "messages  {} sent, {} ok, {} errors",
            self.sent, self.ok, self.errors
        );
        if !self.errors_by_kind.is_empty() {
            let _ = write!(out, " ({})", kinds_text(&self.errors_by_kind));
        }
        out.push('\n');
        let _ = writeln!(out, "rate      {:.1} messages/s", self.messages_per_s);
        match &self.latency_ms {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "latency   p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                    l.p50, l.p90, l.p99, l.max
                );
            }
            None => out.push_str("latency   no answered message\n"),
        }
        if let Some(d) = &self.desk {
            let _ = write!(
                out,
                "desk      {} over {} connections: {} ok, {} errors",
                d.page, d.connections, d.ok, d.errors
            );
            if !d.errors_by_kind.is_empty() {
                let _ = write!(out, " ({})", kinds_text(&d.errors_by_kind));
            }
            let _ = write!(out, ", {:.1} requests/s", d.requests_per_s);
            if let Some(l) = &d.latency_ms {
                let _ = write!(
                    out,
                    ", p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                    l.p50, l.p99, l.max
                );
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "replies   {} passive, {} `success` (answer sent later, if any)",
            self.replies.passive, self.replies.success
        );
        let s = &self.scripts;
        let sum = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
        let by_name = kinds_text;
        let _ = write!(
            out,
            "scripts   {} started, {} finished: {} as expected",
            s.started, s.finished, s.as_expected
        );
        if !s.ended_early.is_empty() {
            let _ = write!(
                out,
                ", {} ended early ({})",
                sum(&s.ended_early),
                by_name(&s.ended_early)
            );
        }
        let _ = write!(out, ", {} unexpected", sum(&s.unexpected));
        if !s.unexpected.is_empty() {
            let _ = write!(out, " ({})", by_name(&s.unexpected));
        }
        let _ = writeln!(out, ", {} unchecked; {} aborted", s.unchecked, s.aborted);
        let srv = &self.server;
        match srv.processes.as_slice() {
            [one] if one.rss_mb.is_some() => {
                let _ = writeln!(
                    out,
                    "server    pid {}: {}",
                    one.pid,
                    memory_text(one.rss_mb, one.rss_mb_start, one.peak_mb)
                );
            }
            [] | [_] => {
                let _ = writeln!(
                    out,
                    "server    RSS unknown{}",
                    srv.note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                );
            }
            several => {
                let labels: Vec<String> =
                    several.iter().map(|p| format!("pid {}:", p.pid)).collect();
                let width = labels.iter().map(String::len).max().unwrap_or(0);
                for (index, (p, label)) in several.iter().zip(&labels).enumerate() {
                    let head = if index == 0 { "server" } else { "" };
                    let _ = write!(
                        out,
                        "{head:<10}{label:<width$} {}",
                        memory_text(p.rss_mb, p.rss_mb_start, p.peak_mb)
                    );
                    if let Some(note) = &p.note {
                        let _ = write!(out, " ({note})");
                    }
                    out.push('\n');
                }
                let label = "sum:";
                let _ = write!(out, "{:<10}{label:<width$} ", "");
                if srv.rss_mb.is_some() {
                    let _ = writeln!(
                        out,
                        "{} ({} processes)",
                        memory_text(srv.rss_mb, srv.rss_mb_start, srv.peak_mb),
                        several.len()
                    );
                } else {
                    let _ = writeln!(out, "RSS unknown (not every process could be read)");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_with(latencies_ms: impl IntoIterator<Item = u64>) -> Stats {
        let mut stats = Stats::new();
        for ms in latencies_ms {
            stats.record_latency(Duration::from_millis(ms));
            stats.sent += 1;
            stats.ok += 1;
        }
        stats
    }

    fn close(actual: f64, expected: f64) -> bool {
        // Three significant digits: within 0.1 %.
        (actual - expected).abs() <= expected * 0.001 + 0.001
    }

    #[test]
    fn percentiles_of_one_to_a_hundred_ms() {
        let stats = stats_with(1..=100);
        let Some(l) = Latency::from_histogram(&stats.latency) else {
            panic!("100 values recorded")
        };
        assert!(close(l.p50, 50.0), "p50 {}", l.p50);
        assert!(close(l.p90, 90.0), "p90 {}", l.p90);
        assert!(close(l.p99, 99.0), "p99 {}", l.p99);
        assert!(close(l.max, 100.0), "max {}", l.max);
        assert!(close(l.mean, 50.5), "mean {}", l.mean);
    }

    #[test]
    fn a_slow_tail_shows_in_p99_and_max_only() {
        // 980 fast answers at 2 ms, 20 slow ones at 1.5 s.
        let stats = stats_with(std::iter::repeat_n(2, 980).chain(std::iter::repeat_n(1500, 20)));
        let Some(l) = Latency::from_histogram(&stats.latency) else {
            panic!("values recorded")
        };
        assert!(close(l.p50, 2.0) && close(l.p90, 2.0), "{l:?}");
        assert!(close(l.p99, 1500.0), "p99 {}", l.p99);
        assert!(close(l.max, 1500.0), "max {}", l.max);
    }

    #[test]
    fn no_answers_no_percentiles() {
        assert_eq!(Latency::from_histogram(&Stats::new().latency), None);
    }

    #[test]
    fn rates_and_error_share() {
        let mut stats = stats_with(std::iter::repeat_n(10, 900));
        stats.sent += 100;
        for _ in 0..100 {
            stats.error("timeout");
        }
        let info = RunInfo {
            mode: "safe",
            urls: vec!["http://127.0.0.1:1/wechat".into()],
            mix: "mixed".into(),
            seed: 1,
            residents: 10,
            connections: 2,
            rate: None,
            warmup: Duration::from_secs(1),
            measured: Duration::from_secs(3),
            desk: None,
        };
        let report = Report::new(info, &stats, Server::default());
        assert_eq!(report.sent, 1000);
        assert_eq!(report.errors, 100);
        assert!(close(report.error_rate, 0.1));
        assert!(close(report.messages_per_s, 300.0));
        let text = report.to_text();
        assert!(
            text.contains("1000 sent, 900 ok, 100 errors (timeout 100)"),
            "{text}"
        );
        assert!(text.contains("300.0 messages/s"), "{text}");
        assert!(text.contains("RSS unknown"), "{text}");
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["errors_by_kind"]["timeout"], 100);
        assert_eq!(json["mode"], "safe");
        assert_eq!(json["url"], "http://127.0.0.1:1/wechat");
    }

    fn info(urls: &[&str]) -> RunInfo {
        RunInfo {
            mode: "plaintext",
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            mix: "mixed".into(),
            seed: 7,
            residents: 10,
            connections: 4,
            rate: None,
            warmup: Duration::from_secs(1),
            measured: Duration::from_secs(2),
            desk: None,
        }
    }

    #[test]
    fn the_desk_page_gets_its_own_line_and_rate() {
        let mut stats = stats_with([5]);
        for ms in [1, 2, 3, 4] {
            stats.desk.count(None, Duration::from_millis(ms));
        }
        stats
            .desk
            .count(Some("status 303".into()), Duration::from_millis(1));
        let without = Report::new(info(&["http://h/wechat"]), &stats, Server::default());
        assert!(without.desk.is_none());
        assert!(
            !without.to_text().contains("desk "),
            "{}",
            without.to_text()
        );
        let mut with = info(&["http://h/wechat"]);
        with.desk = Some(("http://h/desk/queue".into(), 3));
        let report = Report::new(with, &stats, Server::default());
        let text = report.to_text();
        assert!(
            text.contains("desk      http://h/desk/queue over 3 connections: 4 ok, 1 errors (status 303 1), 2.0 requests/s"),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["desk"]["sent"], 5);
        assert_eq!(json["desk"]["errors_by_kind"]["status 303"], 1);
        assert!(json["desk"]["latency_ms"]["max"].as_f64().unwrap_or(0.0) >= 4.0);
    }

    fn memory(rss_kb: u64, hwm_kb: u64) -> Option<Memory> {
        Some(Memory {
            rss_kb,
            hwm_kb: Some(hwm_kb),
        })
    }

    #[test]
    fn one_url_keeps_the_one_line_report() {
        let mut stats = Stats::new();
        stats.sent = 2;
        stats.ok = 2;
        stats.count_url(0, None);
        stats.count_url(0, None);
        let report = Report::new(
            info(&["http://127.0.0.1:1/wechat"]),
            &stats,
            Server::default(),
        );
        let text = report.to_text();
        assert!(
            text.contains("\nurl       http://127.0.0.1:1/wechat  (measured "),
            "{text}"
        );
        assert!(!text.contains("round-robin"), "{text}");
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["urls"][0]["url"], "http://127.0.0.1:1/wechat");
        assert_eq!(json["urls"][0]["sent"], 2);
    }

    #[test]
    fn several_urls_are_listed_with_their_counts() {
        let urls = [
            "http://127.0.0.1:18081/wechat",
            "http://127.0.0.1:18082/wechat",
            "http://127.0.0.1:18083/wechat",
        ];
        let mut stats = Stats::new();
        for message in 0..8 {
            let index = message % 3;
            let error = (message == 7).then_some("timeout");
            stats.sent += 1;
            match error {
                None => stats.ok += 1,
                Some(kind) => stats.error(kind),
            }
            stats.count_url(index, error);
        }
        let report = Report::new(info(&urls), &stats, Server::default());
        let text = report.to_text();
        assert!(text.contains("urls      3 in round-robin order"), "{text}");
        assert!(
            text.contains("          http://127.0.0.1:18081/wechat  3 sent, 3 ok, 0 errors\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "          http://127.0.0.1:18082/wechat  3 sent, 2 ok, 1 errors (timeout 1)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("          http://127.0.0.1:18083/wechat  2 sent, 2 ok, 0 errors\n"),
            "{text}"
        );
        assert!(text.contains("messages  8 sent, 7 ok, 1 errors"), "{text}");
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["url"], urls[0]);
        assert_eq!(json["urls"].as_array().map(Vec::len), Some(3));
        assert_eq!(json["urls"][1]["url"], urls[1]);
        assert_eq!(json["urls"][1]["sent"], 3);
        assert_eq!(json["urls"][1]["ok"], 2);
        assert_eq!(json["urls"][1]["errors"], 1);
        assert_eq!(json["urls"][1]["errors_by_kind"]["timeout"], 1);
        // A URL that got nothing is still listed.
        let report = Report::new(info(&urls), &Stats::new(), Server::default());
        assert_eq!(report.urls[2].sent, 0);
    }

    #[test]
    fn one_pid_keeps_the_one_line_report() {
        let server = Server::from_readings(&[Reading {
            pid: 24267,
            start: memory(121_651, 121_651),
            end: memory(130_560, 130_560),
        }]);
        assert_eq!(server.pid, Some(24267));
        let report = Report::new(info(&["http://x/w"]), &Stats::new(), server);
        let text = report.to_text();
        assert!(
            text.contains("server    pid 24267: RSS 127.5 MB (start 118.8 MB), peak 127.5 MB\n"),
            "{text}"
        );
        let unreadable = Server::from_readings(&[Reading {
            pid: 9,
            start: None,
            end: None,
        }]);
        let text = Report::new(info(&["http://x/w"]), &Stats::new(), unreadable).to_text();
        assert!(
            text.contains("server    RSS unknown: cannot read /proc/9/status\n"),
            "{text}"
        );
    }

    #[test]
    fn several_pids_are_listed_and_summed() {
        let server = Server::from_readings(&[
            Reading {
                pid: 101,
                start: memory(102_400, 102_400),
                end: memory(112_640, 122_880),
            },
            Reading {
                pid: 2002,
                start: memory(204_800, 204_800),
                end: memory(215_040, 225_280),
            },
            Reading {
                pid: 30003,
                start: memory(51_200, 51_200),
                end: memory(51_200, 61_440),
            },
        ]);
        assert_eq!(server.pid, None);
        assert_eq!(server.processes.len(), 3);
        assert_eq!(server.rss_mb, Some(370.0));
        assert_eq!(server.rss_mb_start, Some(350.0));
        assert_eq!(server.peak_mb, Some(400.0));
        let report = Report::new(info(&["http://x/w"]), &Stats::new(), server);
        let text = report.to_text();
        let expected = "\
server    pid 101:   RSS 110.0 MB (start 100.0 MB), peak 120.0 MB
          pid 2002:  RSS 210.0 MB (start 200.0 MB), peak 220.0 MB
          pid 30003: RSS 50.0 MB (start 50.0 MB), peak 60.0 MB
          sum:       RSS 370.0 MB (start 350.0 MB), peak 400.0 MB (3 processes)
";
        assert!(text.ends_with(expected), "{text}");
        let json = serde_json::to_value(&report).unwrap_or_default();
        let server = &json["server"];
        assert_eq!(server["pid"], serde_json::Value::Null);
        assert_eq!(server["rss_mb"], 370.0);
        assert_eq!(server["peak_mb"], 400.0);
        assert_eq!(server["processes"][1]["pid"], 2002);
        assert_eq!(server["processes"][1]["rss_mb"], 210.0);
        assert_eq!(server["processes"][1]["peak_mb"], 220.0);
    }

    #[test]
    fn an_unreadable_pid_leaves_the_sum_unknown() {
        let server = Server::from_readings(&[
            Reading {
                pid: 11,
                start: memory(10_240, 10_240),
                end: memory(10_240, 10_240),
            },
            Reading {
                pid: 12,
                start: memory(10_240, 10_240),
                end: None,
            },
        ]);
        assert_eq!((server.rss_mb, server.peak_mb), (None, None));
        let text = Report::new(info(&["http://x/w"]), &Stats::new(), server).to_text();
        assert!(
            text.contains("          pid 12: RSS unknown (cannot read /proc/12/status)\n"),
            "{text}"
        );
        assert!(
            text.contains("          sum:    RSS unknown (not every process could be read)\n"),
            "{text}"
        );
    }

    #[test]
    fn megabytes_from_kilobytes() {
        assert!(close(mb(81920), 80.0));
        assert!(close(mb(1536), 1.5));
    }
}
