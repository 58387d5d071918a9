//! Command-line options and the run from start to report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use reqwest::Url;

use crate::desk::DeskPlan;
use crate::push::Pusher;
use crate::report::{Reading, Report, RunInfo, Server};
use crate::rss;
use crate::run::{self, Plan};
use crate::scripts::Scripts;

/// Exit code when the run could not start.
const CANNOT_START: u8 = 2;
/// Exit code when `--max-error-rate` was exceeded.
const TOO_MANY_ERRORS: u8 = 1;

/// Load for a heatdesk WeChat callback: signed (or safe-mode encrypted) text pushes from
/// simulated residents running scripted conversations; reports throughput, latency,
/// errors and the server's memory.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Args {
    /// The callback URL; repeat it for several instances (each message goes to the next
    /// URL in turn, as a round-robin proxy would pass it on).
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080/wechat"
    )]
    pub url: Vec<String>,

    /// The callback token (WeChat server settings).
    #[arg(long, env = "HEATDESK_WECHAT_TOKEN", hide_env_values = true)]
    pub token: String,

    /// The 43-character EncodingAESKey: safe mode (encrypted pushes); without it, plaintext.
    #[arg(long, env = "HEATDESK_WECHAT_AES_KEY", hide_env_values = true)]
    pub aes_key: Option<String>,

    /// The account's AppID, needed in safe mode.
    #[arg(long, env = "HEATDESK_WECHAT_APPID")]
    pub appid: Option<String>,

    /// ToUserName of the pushes (the official account's original id).
    #[arg(long, default_value = "gh_loadgen")]
    pub account: String,

    /// Simulated residents talking at the same time.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub residents: u32,

    /// Requests in flight at most (and keep-alive connections).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: u32,

    /// Messages per second at most, over all residents (WeChat traffic of a given size, for
    /// reading --desk-page beside it, say) [default: as fast as the server answers].
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// Measured seconds after the warm-up [default: 10, or no limit with --messages alone].
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Stop after this many measured messages.
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u64).range(1..))]
    pub messages: Option<u64>,

    /// Which scripts: single questions and chatter, multi-step transactions, the file's
    /// weighted mix of everything, or a cold snap in one estate.
    #[arg(long, value_enum, default_value_t = Mix::Mixed)]
    pub mix: Mix,

    /// A server's pid, to read its memory from /proc/PID/status; repeat it for several
    /// instances (the report gives each and the sum) [default: every `heatdesk … serve`
    /// process].
    #[arg(long, value_name = "PID")]
    pub pid: Vec<u32>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Seed of the residents' choices [default: random, printed in the report].
    #[arg(long)]
    pub seed: Option<u64>,

    /// Seconds of load before measuring starts (not counted).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub warmup: f64,

    /// Per-message timeout, send to last byte of the answer.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,

    /// Exit 1 when errors / sent exceeds this fraction (e.g. 0.01), of the messages or of
    /// the desk page's requests.
    #[arg(long, value_name = "F")]
    pub max_error_rate: Option<f64>,

    /// A scripts file instead of the bundled one (format: crates/loadgen/scripts.toml).
    #[arg(long, value_name = "FILE")]
    pub scripts: Option<PathBuf>,

    /// Run only the script NAME (repeatable), whatever the mix; for checking scripts.
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,

    /// Print every exchange (decrypted) on stderr.
    #[arg(long, short)]
    pub verbose: bool,

    /// Also read this desk page (e.g. http://127.0.0.1:8080/desk/queue) for as long as the
    /// residents write, signed in as --desk-user; the report gives its requests/s and
    /// latency.
    #[arg(long, value_name = "URL", requires = "desk_user")]
    pub desk_page: Option<String>,

    /// The desk user who reads --desk-page.
    #[arg(long, value_name = "NAME", requires = "desk_page")]
    pub desk_user: Option<String>,

    /// Their password.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "LOADGEN_DESK_PASSWORD",
        hide_env_values = true
    )]
    pub desk_password: Option<String>,

    /// Requests for --desk-page in flight at most, on connections of their own.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub desk_connections: u32,
}

/// `--mix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mix {
    /// Single standard questions and out-of-scope chatter.
    Questions,
    /// Multi-step scripts only (bindings, bookings, requests, handoffs).
    Transactions,
    /// The weights in the scripts file.
    Mixed,
    /// A cold snap: residents of one estate asking why the heating is off (run it with and
    /// without an open interruption of the estate to compare).
    ColdSnap,
}

impl Mix {
    fn name(self) -> &'static str {
        match self {
            Self::Questions => "questions",
            Self::Transactions => "transactions",
            Self::Mixed => "mixed",
            Self::ColdSnap => "cold-snap",
        }
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A short human report.
    Text,
    /// One JSON object.
    Json,
}

/// `--desk-page` signed in as `--desk-user`.
async fn desk_plan(args: &Args, page: &str, timeout: Duration) -> Result<DeskPlan, String> {
    let page = Url::parse(page).map_err(|e| format!("--desk-page {page:?}: {e}"))?;
    let user = args.desk_user.as_deref().unwrap_or_default();
    let password = args
        .desk_password
        .as_deref()
        .ok_or("--desk-page needs --desk-password (or LOADGEN_DESK_PASSWORD)")?;
    let connections = usize::try_from(args.desk_connections).unwrap_or(usize::MAX);
    let client = crate::desk::client(connections, timeout)
        .map_err(|e| format!("cannot build the desk's HTTP client: {e}"))?;
    let cookie = crate::desk::sign_in(&client, &page, user, password).await?;
    Ok(DeskPlan {
        page,
        cookie,
        connections,
        client,
    })
}

fn seconds(value: f64, name: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("--{name} must be a number of seconds >= 0"))
}

/// Everything checked before any request: the plan, or why the run cannot start.
fn plan(args: &Args) -> Result<Plan, String> {
    let mut urls: Vec<Url> = Vec::with_capacity(args.url.len());
    for text in &args.url {
        let url = Url::parse(text).map_err(|e| format!("--url {text:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("--url must be http or https, not {}", url.scheme()));
        }
        if urls.contains(&url) {
            return Err(format!("--url {url} is given twice"));
        }
        urls.push(url);
    }
    if urls.is_empty() {
        return Err("--url is missing".into());
    }
    if let Some(pid) = args
        .pid
        .iter()
        .enumerate()
        .find_map(|(i, pid)| args.pid[..i].contains(pid).then_some(pid))
    {
        return Err(format!("--pid {pid} is given twice"));
    }
    let pusher = Pusher::new(
        &args.token,
        &args.account,
        args.aes_key.as_deref(),
        args.appid.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let scripts = match &args.scripts {
        None => Scripts::bundled(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--scripts {}: {e}", path.display()))?;
            Scripts::parse(&text)
        }
    }
    .map_err(|e| format!("scripts: {e}"))?;
    let picker = scripts
        .picker_only(args.mix.name(), &args.only)
        .map_err(|e| format!("scripts: {e}"))?;
    let duration = match (args.duration, args.messages) {
        (Some(secs), _) if secs > 0.0 => Some(seconds(secs, "duration")?),
        (Some(_), _) => return Err("--duration must be more than 0 seconds".into()),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    if let Some(rate) = args.max_error_rate {
        if !(0.0..=1.0).contains(&rate) {
            return Err("--max-error-rate must be between 0 and 1".into());
        }
    }
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err("--rate must be a number of messages per second above 0".into());
        }
    }
    let to_usize = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(Plan {
        urls,
        pusher,
        picker,
        residents: to_usize(args.residents),
        connections: to_usize(args.connections),
        duration,
        messages: args.messages,
        rate: args.rate,
        warmup: seconds(args.warmup, "warmup")?,
        timeout: Duration::from_millis(args.timeout_ms),
        seed: args.seed.unwrap_or_else(rand::random),
        run_tag: run::run_tag(),
        verbose: args.verbose,
        // Signed in by `main`, once the callbacks have answered.
        desk: None,
    })
}

/// Runs loadgen: 0 when the run took place, 1 when `--max-error-rate` was exceeded, 2 when
/// it could not start.
pub async fn main(args: Args) -> ExitCode {
    let mut plan = match plan(&args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("loadgen: {message}");
            return ExitCode::from(CANNOT_START);
        }
    };
    let client = match run::client(plan.connections, plan.timeout) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("loadgen: cannot build the HTTP client: {e}");
            return ExitCode::from(CANNOT_START);
        }
    };
    // Every URL must answer; all are tried, so that one run names every silent one.
    let mut silent = false;
    for url in &plan.urls {
        match run::preflight(&client, url, &plan.pusher, plan.timeout).await {
            Err(message) => {
                eprintln!("loadgen: {message}");
                silent = true;
            }
            Ok(Some(warning)) => eprintln!("loadgen: warning: {warning}"),
            Ok(None) => {}
        }
    }
    if silent {
        return ExitCode::from(CANNOT_START);
    }
    if let Some(page) = &args.desk_page {
        match desk_plan(&args, page, plan.timeout).await {
            Ok(desk) => plan.desk = Some(desk),
            Err(message) => {
                eprintln!("loadgen: {message}");
                return ExitCode::from(CANNOT_START);
            }
        }
    }
    if plan.connections > plan.residents {
        eprintln!(
            "loadgen: note: {} residents cannot fill {} connections (one message in flight per resident)",
            plan.residents, plan.connections
        );
    }

    let server_pids = if args.pid.is_empty() {
        rss::find_servers().map_err(|e| e.to_string())
    } else {
        Ok(args.pid.clone())
    };
    let memory_start: Vec<(u32, Option<rss::Memory>)> = server_pids
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|&pid| (pid, rss::read(pid)))
        .collect();

    let info = RunInfo {
        mode: plan.pusher.mode_name(),
        urls: plan.urls.iter().map(Url::to_string).collect(),
        mix: if args.only.is_empty() {
            args.mix.name().to_owned()
        } else {
            format!("only {}", args.only.join(","))
        },
        seed: plan.seed,
        residents: plan.residents,
        connections: plan.connections,
        rate: plan.rate,
        warmup: plan.warmup,
        measured: Duration::ZERO,
        desk: plan
            .desk
            .as_ref()
            .map(|d| (d.page.to_string(), d.connections)),
    };
    let outcome = run::run(plan, client).await;

    let server = match server_pids {
        Err(note) => Server::unknown(note),
        Ok(_) => {
            let readings: Vec<Reading> = memory_start
                .into_iter()
                .map(|(pid, start)| Reading {
                    pid,
                    start,
                    end: rss::read(pid),
                })
                .collect();
            Server::from_readings(&readings)
        }
    };
    let report = Report::new(
        RunInfo {
            measured: outcome.measured,
            ..info
        },
        &outcome.stats,
        server,
    );
    match args.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => match serde_json::to_string(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("loadgen: cannot write the JSON report: {e}"),
        },
    }
    let desk_rate = report
        .desk
        .as_ref()
        .filter(|d| d.sent > 0)
        .map_or(0.0, |d| d.errors as f64 / d.sent as f64);
    match args.max_error_rate {
        Some(limit) if report.error_rate > limit => {
            eprintln!(
                "loadgen: error rate {:.4} is above --max-error-rate {limit}",
                report.error_rate
            );
            ExitCode::from(TOO_MANY_ERRORS)
        }
        Some(limit) if desk_rate > limit => {
            eprintln!("loadgen: the desk page's error rate {desk_rate:.4} is above --max-error-rate {limit}");
            ExitCode::from(TOO_MANY_ERRORS)
        }
        _ => ExitCode::SUCCESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut argv = vec!["loadgen", "--token", "t"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_follow_the_brief() {
        let a = args(&[]);
        assert_eq!(a.url, ["http://127.0.0.1:8080/wechat"]);
        assert!(a.pid.is_empty());
        assert_eq!((a.residents, a.connections, a.timeout_ms), (500, 32, 5000));
        assert_eq!(a.mix, Mix::Mixed);
        let Ok(p) = plan(&a) else {
            panic!("default plan")
        };
        assert_eq!(p.duration, Some(Duration::from_secs(10)));
        assert_eq!(p.warmup, Duration::from_secs(1));
        assert_eq!(p.pusher.mode_name(), "plaintext");
        assert_eq!(p.urls.len(), 1);
    }

    #[test]
    fn urls_and_pids_repeat() {
        let a = args(&[
            "--url",
            "http://127.0.0.1:18081/wechat",
            "--url",
            "http://127.0.0.1:18082/wechat",
            "--url",
            "http://127.0.0.1:18083/wechat",
            "--pid",
            "101",
            "--pid",
            "102",
        ]);
        assert_eq!(a.pid, [101, 102]);
        let Ok(p) = plan(&a) else {
            panic!("plan with three URLs")
        };
        let urls: Vec<&str> = p.urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:18081/wechat",
                "http://127.0.0.1:18082/wechat",
                "http://127.0.0.1:18083/wechat"
            ]
        );
        assert!(plan(&args(&["--url", "http://a/w", "--url", "ftp://b/w"])).is_err());
        assert!(plan(&args(&["--url", "http://a/w", "--url", "http://a/w"])).is_err());
        assert!(plan(&args(&["--pid", "7", "--pid", "8", "--pid", "7"])).is_err());
    }

    #[test]
    fn messages_alone_lift_the_time_limit() {
        let Ok(p) = plan(&args(&["--messages", "5"])) else {
            panic!("plan")
        };
        assert_eq!((p.duration, p.messages), (None, Some(5)));
        let Ok(p) = plan(&args(&["--messages", "5", "--duration", "2.5"])) else {
            panic!("plan")
        };
        assert_eq!(p.duration, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn bad_settings_stop_before_any_request() {
        assert!(plan(&args(&[
            "--aes-key",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        ]))
        .is_err());
        assert!(plan(&args(&["--url", "ftp://x/"])).is_err());
        assert!(plan(&args(&["--duration", "0"])).is_err());
        assert!(plan(&args(&["--max-error-rate", "2"])).is_err());
        for rate in ["0", "-0.5", "inf", "NaN"] {
            let rate = format!("--rate={rate}");
            assert!(plan(&args(&[rate.as_str()])).is_err(), "{rate}");
        }
        assert!(plan(&args(&["--rate", "250"])).is_ok_and(|p| p.rate == Some(250.0)));
        assert!(Args::try_parse_from(["loadgen", "--token", "t", "--connections", "0"]).is_err());
        let safe = args(&[
            "--aes-key",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "--appid",
            "wx1",
        ]);
        assert!(plan(&safe).is_ok_and(|p| p.pusher.is_safe()));
    }
}
