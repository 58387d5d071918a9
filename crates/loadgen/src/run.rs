//! Residents, concurrency and timing.
//!
//! Each resident is a task that runs one script at a time and sends a step only after the
//! previous one was answered, as WeChat does for one user. A semaphore of `connections`
//! permits bounds the requests in flight; the client's keep-alive pool has as many
//! connections, so a permit is a connection.
//!
//! With several URLs, each message goes to the next URL in turn, whoever sends it, as a
//! round-robin proxy in front of the instances would pass it on: the consecutive messages
//! of one resident may land on different instances.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, StatusCode, Url};
use tokio::sync::Semaphore;

use crate::push::{Answer, Push, Pusher};
use crate::report::Stats;
use crate::scripts::{Picker, Script};

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The callback URLs (at least one), taken in turn.
    pub urls: Vec<Url>,
    /// Builds and checks pushes.
    pub pusher: Pusher,
    /// Chooses scripts.
    pub picker: Picker,
    /// Concurrent residents.
    pub residents: usize,
    /// Requests in flight at most.
    pub connections: usize,
    /// Measured period; `None`: until `messages` are sent.
    pub duration: Option<Duration>,
    /// Stop after this many measured messages.
    pub messages: Option<u64>,
    /// Messages per second at most, over all residents.
    pub rate: Option<f64>,
    /// Not counted, before the measured period.
    pub warmup: Duration,
    /// Per request, send to last byte.
    pub timeout: Duration,
    /// Seed of every resident's choices.
    pub seed: u64,
    /// Part of every OpenID, so that a new run does not continue an old run's conversations.
    pub run_tag: String,
    /// Print every exchange on stderr.
    pub verbose: bool,
    /// A desk page read meanwhile.
    pub desk: Option<crate::desk::DeskPlan>,
}

/// What a run counted.
#[derive(Debug)]
pub struct Outcome {
    /// The counters.
    pub stats: Stats,
    /// From the end of the warm-up to the last measured answer.
    pub measured: Duration,
}

/// The HTTP client: HTTP/1.1 keep-alive, at most `connections` idle connections kept,
/// no proxy (load goes straight to the URL).
pub fn client(connections: usize, timeout: Duration) -> reqwest::Result<Client> {
    Client::builder()
        .pool_max_idle_per_host(connections)
        .pool_idle_timeout(Duration::from_secs(90))
        .connect_timeout(timeout)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A short tag from the clock in milliseconds (six base-36 digits, repeating every 25
/// days), different for runs started one after the other.
pub fn run_tag() -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default();
    let mut tag = Vec::new();
    for _ in 0..6 {
        tag.push(DIGITS[usize::try_from(n % 36).unwrap_or(0)]);
        n /= 36;
    }
    tag.reverse();
    String::from_utf8(tag).unwrap_or_default()
}

/// The OpenID of resident `n` after `generation` hand-overs of its slot.
pub fn openid(seed: u64, tag: &str, n: usize, generation: u32) -> String {
    format!("o-load-{seed}-{tag}-{n}-{generation}")
}

/// Hands out indexes `0..len` in turn: 0, 1, …, len - 1, 0, 1, … across all callers.
#[derive(Debug)]
pub struct RoundRobin {
    next: AtomicUsize,
    len: usize,
}

impl RoundRobin {
    /// Turns over `len` items (`len` 0 is taken as 1).
    pub fn new(len: usize) -> Self {
        Self {
            next: AtomicUsize::new(0),
            len: len.max(1),
        }
    }

    /// The index of the next item.
    pub fn next(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % self.len
    }
}

/// Whether the URL answers at all, checked with the URL-verification GET WeChat sends when
/// the URL is saved. `Err`: nothing answered (the run cannot start). `Ok(Some(warning))`:
/// something answered, but not as a heatdesk callback with this token would.
pub async fn preflight(
    client: &Client,
    url: &Url,
    pusher: &Pusher,
    timeout: Duration,
) -> Result<Option<String>, String> {
    let echostr = format!("loadgen-{}", rand::random::<u32>());
    let nonce = rand::random::<u32>().to_string();
    let query = pusher.verification_query(unix_now(), &nonce, &echostr);
    let request = async {
        let response = client.get(url.clone()).query(&query).send().await?;
        let status = response.status();
        let body = response.text().await?;
        Ok::<_, reqwest::Error>((status, body))
    };
    match tokio::time::timeout(timeout, request).await {
        Err(_) => Err(format!("{url} did not answer within {timeout:?}")),
        Ok(Err(e)) => Err(format!("cannot reach {url}: {}", error_chain(&e))),
        Ok(Ok((status, body))) if status == StatusCode::OK && body == echostr => Ok(None),
        Ok(Ok((status, _))) if status == StatusCode::FORBIDDEN => Ok(Some(format!(
            "{url} refused the URL verification (403): wrong --token? Pushes will fail too."
        ))),
        Ok(Ok((status, _))) => Ok(Some(format!(
            "{url} answered the URL verification with {status} and not the echo: is it a heatdesk /wechat callback with WeChat enabled?"
        ))),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

struct Shared {
    plan: Plan,
    client: Client,
    /// Per URL: its connections when it is plain `http://` (else `client` serves it).
    direct: Vec<Option<crate::conn::Connections>>,
    urls: RoundRobin,
    permits: Semaphore,
    stats: Mutex<Stats>,
    warm_end: Instant,
    end: Option<Instant>,
    budget_used: AtomicU64,
    stop: AtomicBool,
    next_msg_id: AtomicU64,
    last_done: Mutex<Option<Instant>>,
    /// With `--rate`: when the next message may be sent.
    pace: Option<Pace>,
}

/// Messages one after another at a fixed rate: each takes the next free moment. A server
/// that falls behind is not sent a burst to catch up; the run just sends fewer.
struct Pace {
    every: Duration,
    next: Mutex<Instant>,
}

impl Pace {
    fn new(rate: f64) -> Self {
        Self {
            every: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Until this sender's moment, or the run's `end` if that comes first: with many
    /// senders and a low rate the last moments taken lie far past it, and the run ends on
    /// time all the same.
    async fn wait(&self, end: Option<Instant>) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let at = (*next).max(Instant::now());
            *next = at + self.every;
            at
        };
        let until = end.map_or(at, |end| at.min(end));
        tokio::time::sleep_until(until.into()).await;
    }
}

impl Shared {
    fn stopped(&self, now: Instant) -> bool {
        self.stop.load(Ordering::Relaxed) || self.end.is_some_and(|end| now >= end)
    }

    fn with_stats(&self, f: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut stats);
    }

    /// Takes one message from the `--messages` budget; `false` once it is spent.
    fn take_budget(&self) -> bool {
        match self.plan.messages {
            None => true,
            Some(limit) => {
                if self.budget_used.fetch_add(1, Ordering::Relaxed) < limit {
                    true
                } else {
                    self.stop.store(true, Ordering::Relaxed);
                    false
                }
            }
        }
    }
}

/// Runs the plan to its end and returns the counters.
pub async fn run(plan: Plan, client: Client) -> Outcome {
    let start = Instant::now();
    let warm_end = start + plan.warmup;
    let end = plan.duration.map(|d| warm_end + d);
    // Unique across runs: the clock in milliseconds, times 1000, plus a counter.
    let msg_id_base = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
        .saturating_mul(1000);
    let shared = Arc::new(Shared {
        permits: Semaphore::new(plan.connections),
        urls: RoundRobin::new(plan.urls.len()),
        direct: plan
            .urls
            .iter()
            .map(crate::conn::Connections::for_url)
            .collect(),
        client,
        stats: Mutex::new(Stats::new()),
        warm_end,
        end,
        budget_used: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        next_msg_id: AtomicU64::new(msg_id_base),
        last_done: Mutex::new(None),
        pace: plan.rate.map(Pace::new),
        plan,
    });
    let mut desk = tokio::task::JoinSet::new();
    if let Some(plan) = &shared.plan.desk {
        for _ in 0..plan.connections {
            desk.spawn(desk_reader(shared.clone()));
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..shared.plan.residents {
        tasks.spawn(resident(shared.clone(), n));
    }
    while tasks.join_next().await.is_some() {}
    // The desk is read for as long as residents write.
    shared.stop.store(true, Ordering::Relaxed);
    while desk.join_next().await.is_some() {}
    let last_done = *shared
        .last_done
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let measured = last_done
        .map(|t| t.saturating_duration_since(warm_end))
        .unwrap_or_default();
    let stats = shared
        .stats
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    Outcome { stats, measured }
}

/// Reads the desk page, one request after another, until the residents stop.
async fn desk_reader(shared: Arc<Shared>) {
    let Some(plan) = &shared.plan.desk else {
        return;
    };
    loop {
        let sent_at = Instant::now();
        if shared.stopped(sent_at) {
            return;
        }
        let error = crate::desk::fetch(plan).await;
        let latency = sent_at.elapsed();
        if sent_at >= shared.warm_end {
            shared.with_stats(|s| s.desk.count(error, latency));
        }
    }
}

/// Per-resident generator: the same seed and resident number give the same choices.
pub fn resident_rng(seed: u64, n: usize) -> StdRng {
    let n = u64::try_from(n).unwrap_or(u64::MAX);
    StdRng::seed_from_u64(seed ^ n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// One step's result.
enum Step {
    Answered(Answer),
    Failed { kind: String, detail: String },
}

async fn resident(shared: Arc<Shared>, n: usize) {
    let plan = &shared.plan;
    let mut rng = resident_rng(plan.seed, n);
    let mut generation = 0u32;
    // The current OpenID ran a script (or lost an answer): its conversation may have state.
    let mut dirty = false;
    let mut counted = false;
    'scripts: loop {
        if shared.stopped(Instant::now()) {
            break;
        }
        let script = plan.picker.pick(&mut rng);
        // A fresh script needs an OpenID without history: a new resident takes the slot. Any
        // script may leave state (a single question can open a form that waits for an
        // account number), not only a fresh one.
        if script.fresh && dirty {
            generation += 1;
            counted = false;
        }
        dirty = true;
        let openid = openid(plan.seed, &plan.run_tag, n, generation);
        let mut measured_script = false;
        for (index, step) in script.steps.iter().enumerate() {
            let msg_id = shared.next_msg_id.fetch_add(1, Ordering::Relaxed);
            let timestamp = unix_now();
            let nonce = rng.random_range(100_000_000u32..4_000_000_000).to_string();
            let random: [u8; 16] = rng.random();
            let xml = plan.pusher.text_message(&openid, step, msg_id, timestamp);
            let push = plan.pusher.push(&openid, &xml, timestamp, &nonce, &random);

            if let Some(pace) = &shared.pace {
                pace.wait(shared.end).await;
            }
            let Ok(permit) = shared.permits.acquire().await else {
                break 'scripts;
            };
            let sent_at = Instant::now();
            if shared.stopped(sent_at) {
                break 'scripts;
            }
            let measured = sent_at >= shared.warm_end;
            if measured && !shared.take_budget() {
                break 'scripts;
            }
            if index == 0 {
                measured_script = measured;
                if measured {
                    shared.with_stats(|s| s.scripts_started += 1);
                }
            }
            let url_index = shared.urls.next();
            let result = exchange(&shared, url_index, push, &openid, &nonce).await;
            let done = Instant::now();
            drop(permit);

            let latency = done.saturating_duration_since(sent_at);
            let last = index + 1 == script.steps.len();
            if plan.verbose {
                // Which instance answered, when there are several.
                let url = (plan.urls.len() > 1).then(|| plan.urls[url_index].as_str());
                eprint!(
                    "{}",
                    describe(&openid, script, index, step, url, &result, latency)
                );
            }
            if measured {
                record(&shared, url_index, &result, latency, done, !counted);
                counted = true;
            }
            let answer = match result {
                Step::Failed { .. } => {
                    if measured_script {
                        shared.with_stats(|s| s.scripts_aborted += 1);
                    }
                    continue 'scripts;
                }
                Step::Answered(answer) => answer,
            };
            let ends_early = !last
                && matches!(&answer, Answer::Passive { text } if script.end_on.found_in(text));
            if ends_early && plan.verbose {
                eprintln!("{openid} [{}] ends early (end_on)", script.name);
            }
            if measured_script && (last || ends_early) {
                judge(&shared, script, &answer, ends_early, plan.verbose, &openid);
            }
            if ends_early {
                continue 'scripts;
            }
        }
    }
}

async fn exchange(
    shared: &Shared,
    url_index: usize,
    push: Push,
    openid: &str,
    nonce: &str,
) -> Step {
    let plan = &shared.plan;
    let request = async {
        if let Some(direct) = &shared.direct[url_index] {
            return direct
                .post(&push.query, push.body)
                .await
                .map_err(|e| (e.kind(), error_chain(&e)));
        }
        let sent = async {
            let response = shared
                .client
                .post(plan.urls[url_index].clone())
                .query(&push.query)
                .header(CONTENT_TYPE, "text/xml; charset=utf-8")
                .body(push.body)
                .send()
                .await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        };
        sent.await
            .map_err(|e| (transport_kind(&e), error_chain(&e)))
    };
    match tokio::time::timeout(plan.timeout, request).await {
        Err(_) => Step::Failed {
            kind: "timeout".into(),
            detail: format!("no answer within {:?}", plan.timeout),
        },
        Ok(Err((kind, detail))) => Step::Failed {
            kind: kind.into(),
            detail,
        },
        Ok(Ok((status, body))) if status != StatusCode::OK => Step::Failed {
            kind: format!("http_{}", status.as_u16()),
            detail: String::from_utf8_lossy(&body).chars().take(200).collect(),
        },
        Ok(Ok((_, body))) => match plan.pusher.read_reply(&body, openid, nonce) {
            Ok(answer) => Step::Answered(answer),
            Err(e) => Step::Failed {
                kind: e.kind().into(),
                detail: e.to_string(),
            },
        },
    }
}

fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "transport"
    }
}

fn record(
    shared: &Shared,
    url_index: usize,
    result: &Step,
    latency: Duration,
    done: Instant,
    new_openid: bool,
) {
    shared.with_stats(|s| {
        s.sent += 1;
        if new_openid {
            s.openids += 1;
        }
        match result {
            Step::Answered(answer) => {
                s.count_url(url_index, None);
                s.ok += 1;
                s.record_latency(latency);
                match answer {
                    Answer::Success => s.success += 1,
                    Answer::Passive { .. } => s.passive += 1,
                }
            }
            Step::Failed { kind, .. } => {
                s.count_url(url_index, Some(kind));
                s.error(kind);
            }
        }
    });
    let mut last = shared
        .last_done
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if last.is_none_or(|t| done > t) {
        *last = Some(done);
    }
}

fn judge(
    shared: &Shared,
    script: &Script,
    answer: &Answer,
    ended_early: bool,
    verbose: bool,
    openid: &str,
) {
    shared.with_stats(|s| {
        s.scripts_finished += 1;
        if ended_early {
            *s.scripts_ended_early
                .entry(script.name.clone())
                .or_default() += 1;
            return;
        }
        if !script.expect.is_set() {
            return;
        }
        match answer {
            Answer::Success => s.scripts_unchecked += 1,
            Answer::Passive { text } if script.expect.found_in(text) => s.scripts_expected += 1,
            Answer::Passive { .. } => {
                *s.scripts_unexpected.entry(script.name.clone()).or_default() += 1;
                if verbose {
                    eprintln!(
                        "{openid} [{}] ended without any of {:?}",
                        script.name, script.expect.0
                    );
                }
            }
        }
    });
}

fn describe(
    openid: &str,
    script: &Script,
    index: usize,
    step: &str,
    url: Option<&str>,
    result: &Step,
    latency: Duration,
) -> String {
    let mut out = format!(
        "{openid} [{} {}/{}] > {step}  ({:.1} ms{}{})\n",
        script.name,
        index + 1,
        script.steps.len(),
        latency.as_secs_f64() * 1000.0,
        if url.is_some() { ", " } else { "" },
        url.unwrap_or_default()
    );
    match result {
        Step::Answered(Answer::Success) => out.push_str("  < [success]\n"),
        Step::Answered(Answer::Passive { text }) => {
            for (i, line) in text.lines().enumerate() {
                out.push_str(if i == 0 { "  < " } else { "    " });
                out.push_str(line);
                out.push('\n');
            }
        }
        Step::Failed { kind, detail } => {
            out.push_str(&format!("  ! {kind}: {detail}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rate_spaces_every_sender_s_messages_out() {
        // 1,000 a second: 60 messages from six senders take at least 59 ms, however many
        // wait at once (a sleep never ends early; a fast machine cannot make this pass
        // without the spacing).
        let pace = Arc::new(Pace::new(1000.0));
        let start = Instant::now();
        let mut senders = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let pace = pace.clone();
            senders.spawn(async move {
                for _ in 0..10 {
                    pace.wait(None).await;
                }
            });
        }
        while senders.join_next().await.is_some() {}
        assert!(
            start.elapsed() >= Duration::from_millis(59),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_low_rate_does_not_hold_the_run_past_its_end() {
        // One a second from 50 senders: the last moment taken is 49 s away; every sender
        // is let go at the end, 50 ms from now.
        let pace = Arc::new(Pace::new(1.0));
        let start = Instant::now();
        let end = Some(start + Duration::from_millis(50));
        let mut senders = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let pace = pace.clone();
            senders.spawn(async move { pace.wait(end).await });
        }
        while senders.join_next().await.is_some() {}
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn openids_are_ascii_and_distinct() {
        let a = openid(42, "k3j9az", 7, 0);
        assert_eq!(a, "o-load-42-k3j9az-7-0");
        assert!(a.is_ascii() && a.len() <= 28);
        assert_ne!(openid(42, "k3j9az", 7, 1), a);
        assert_ne!(openid(42, "k3j9az", 8, 0), a);
        assert_eq!(run_tag().len(), 6);
    }

    #[test]
    fn round_robin_takes_each_url_in_turn() {
        let urls = RoundRobin::new(3);
        let picks: Vec<usize> = (0..7).map(|_| urls.next()).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
        let one = RoundRobin::new(1);
        assert!((0..5).all(|_| one.next() == 0));
        assert_eq!(RoundRobin::new(0).next(), 0);
    }

    #[test]
    fn round_robin_is_shared_by_all_senders() {
        // Two residents sending alternately: the turn goes on across them, so one resident's
        // consecutive messages reach different URLs and every URL gets the same share.
        let urls = RoundRobin::new(3);
        let mut by_resident = [Vec::new(), Vec::new()];
        for message in 0..6 {
            by_resident[message % 2].push(urls.next());
        }
        assert_eq!(by_resident[0], [0, 2, 1]);
        assert_eq!(by_resident[1], [1, 0, 2]);
        let counts = std::sync::Arc::new(RoundRobin::new(3));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let counts = counts.clone();
                std::thread::spawn(move || (0..300).map(|_| counts.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut share = [0u32; 3];
        for thread in threads {
            for index in thread.join().unwrap_or_default() {
                share[index] += 1;
            }
        }
        assert_eq!(share, [400, 400, 400]);
    }

    #[test]
    fn resident_generators_are_seeded() {
        let draw = |seed, n| {
            let mut rng = resident_rng(seed, n);
            (0..8).map(|_| rng.random::<u32>()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1, 3), draw(1, 3));
        assert_ne!(draw(1, 3), draw(1, 4));
        assert_ne!(draw(1, 3), draw(2, 3));
    }
}
