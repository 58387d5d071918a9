//! A real headless Chromium, driven through chromedriver, for end-to-end tests of the pages
//! heatdesk serves.
//!
//! ```ignore
//! use crate::browser::{browser, Browser};
//!
//! let app = spawn_app().await;
//! let Some(b) = browser().await else { return }; // phone-sized, zh-CN
//! b.goto(&app.url("/desk")).await;
//! b.fill("#reply", "您好，已为您登记").await;
//! b.click("button[type=submit]").await;
//! b.wait_for_text("#log", "已为您登记", Duration::from_secs(5)).await;
//! b.screenshot("desk-reply").await; // target/screenshots/desk-reply.png
//! b.close().await;
//!
//! let desk = Browser::builder().desktop().lang("en").launch().await;
//! ```
//!
//! The binaries come from Debian's `chromium` and `chromium-driver` packages
//! (`HEATDESK_TEST_CHROMIUM` and `HEATDESK_TEST_CHROMEDRIVER` point elsewhere). Without them
//! the test prints a notice and skips, unless `HEATDESK_TEST_REQUIRE_CHROMIUM=1` (set by
//! `.ci/run`) makes that a failure, as for PostgreSQL.
//!
//! Every `Browser` runs its own chromedriver on its own port with its own profile, so tests
//! may run in parallel; each costs a few hundred MB while it lives. The helpers panic with the
//! selector and the page they were on, which is all a failing test needs; anything they do not
//! cover is on [`Browser::client`].

// The page tests that use most of this are still to be written.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Map, Value};

/// How long [`Browser::find`], `click`, `fill` and `text_of` wait for their element, so a
/// test need not wait for every element a script renders.
pub const PATIENCE: Duration = Duration::from_secs(5);
/// A phone in portrait (412 × 915 CSS pixels): the default, as customers come from WeChat.
pub const PHONE: (u32, u32) = (412, 915);
/// A desk-agent's screen.
pub const DESKTOP: (u32, u32) = (1280, 900);

const POLL: Duration = Duration::from_millis(50);
const DRIVER_START: Duration = Duration::from_secs(10);
const SESSION_START: Duration = Duration::from_secs(30);

/// A phone-sized, Chinese-speaking browser, or `None` (with a notice) when Chromium is not
/// installed and not required.
pub async fn browser() -> Option<Browser> {
    Browser::builder().launch().await
}

/// How to start a [`Browser`]; `Browser::builder()` gives a phone in `zh-CN`.
#[derive(Clone, Debug)]
pub struct BrowserBuilder {
    size: (u32, u32),
    mobile: bool,
    lang: String,
}

impl Default for BrowserBuilder {
    fn default() -> Self {
        Self {
            size: PHONE,
            mobile: true,
            lang: "zh-CN".to_owned(),
        }
    }
}

impl BrowserBuilder {
    /// A phone viewport ([`PHONE`]) with touch and mobile layout rules (`<meta viewport>`).
    pub fn phone(mut self) -> Self {
        self.size = PHONE;
        self.mobile = true;
        self
    }

    /// A desktop window ([`DESKTOP`]); the page gets its height less the browser's toolbars.
    pub fn desktop(mut self) -> Self {
        self.size = DESKTOP;
        self.mobile = false;
        self
    }

    /// The language the browser asks for (`Accept-Language`, `navigator.language`), a BCP 47
    /// tag such as `"zh-CN"` or `"en"`.
    pub fn lang(mut self, tag: &str) -> Self {
        tag.clone_into(&mut self.lang);
        self
    }

    /// Starts chromedriver and a browser session; `None` when the binaries are missing and not
    /// required. Panics, with chromedriver's log, when they are there but do not start.
    pub async fn launch(self) -> Option<Browser> {
        let (driver, chromium) = binaries()?;
        Some(Browser::start(&self, &driver, &chromium).await)
    }

    fn capabilities(&self, chromium: &Path, profile: &Path) -> Map<String, Value> {
        let (width, height) = self.size;
        let mut args: Vec<String> = [
            "--headless",
            // Tests run as root in CI, where Chromium refuses its sandbox.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Containers often have a 64 MB /dev/shm, which crashes tabs; Debian's launcher
            // means to add this then, but its check breaks when /dev/shm is mounted twice.
            "--disable-dev-shm-usage",
        ]
        .map(str::to_owned)
        .into();
        args.push(format!("--window-size={width},{height}"));
        args.push(format!("--lang={}", self.lang));
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut options = json!({
            "binary": chromium,
            "args": args,
            // On Linux `--lang` leaves Accept-Language alone; this preference sets it.
            "prefs": { "intl.accept_languages": accept_languages(&self.lang) },
        });
        if self.mobile {
            // Chromium will not make a window narrower than 500 px, so a phone is emulated.
            // Pixel ratio 1 keeps screenshots small. Note: with `mobile` on, `innerWidth`
            // reports a multiple of the width; media queries and layout see 412.
            options["mobileEmulation"] = json!({
                "deviceMetrics": {
                    "width": width, "height": height, "pixelRatio": 1,
                    "mobile": true, "touch": true,
                },
            });
        }
        let mut caps = Map::new();
        caps.insert("goog:chromeOptions".to_owned(), options);
        // WebDriver's default page-load timeout is five minutes: too long to learn a test hung.
        caps.insert(
            "timeouts".to_owned(),
            json!({ "pageLoad": 30_000, "script": 10_000 }),
        );
        caps
    }
}

/// `zh-CN` → `zh-CN,zh`: a page that only knows `zh` still matches, as in a real browser.
fn accept_languages(tag: &str) -> String {
    match tag.split_once('-') {
        Some((primary, _)) => format!("{tag},{primary}"),
        None => tag.to_owned(),
    }
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn chromium_required() -> bool {
    std::env::var("HEATDESK_TEST_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1" || v == "true")
}

/// chromedriver and Chromium, or `None` after the skip notice.
fn binaries() -> Option<(PathBuf, PathBuf)> {
    let driver = env_path("HEATDESK_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium = env_path("HEATDESK_TEST_CHROMIUM", "/usr/bin/chromium");
    let missing: Vec<String> = [&driver, &chromium]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some((driver, chromium));
    }
    let missing = missing.join(", ");
    assert!(
        !chromium_required(),
        "Chromium is required (HEATDESK_TEST_REQUIRE_CHROMIUM) but {missing} is missing: \
         apt-get install chromium chromium-driver, or set HEATDESK_TEST_CHROMIUM and \
         HEATDESK_TEST_CHROMEDRIVER"
    );
    eprintln!(
        "notice: chromium/chromedriver not found ({missing}); skipping browser test \
         (set HEATDESK_TEST_REQUIRE_CHROMIUM=1 to require it)"
    );
    None
}

/// One headless Chromium session. [`Browser::close`] ends it cleanly; dropping it (a test that
/// panics) stops Chromium and chromedriver too.
pub struct Browser {
    client: Client,
    driver: tokio::process::Child,
    profile: PathBuf,
    closed: bool,
    // Last, so the profile is removed after Chromium has stopped writing to it.
    dir: tempfile::TempDir,
}

impl Browser {
    /// Phone-sized and `zh-CN` unless told otherwise.
    pub fn builder() -> BrowserBuilder {
        BrowserBuilder::default()
    }

    async fn start(opts: &BrowserBuilder, driver_bin: &Path, chromium: &Path) -> Browser {
        let dir = tempfile::Builder::new()
            .prefix("heatdesk-chromium-")
            .tempdir()
            .expect("a temporary directory for the browser profile");
        let log_path = dir.path().join("chromedriver.log");
        let log = std::fs::File::create(&log_path).expect("chromedriver's log file");
        let port = free_port();
        let mut driver = tokio::process::Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            // Chromium's own complaints land here too, through chromedriver's stderr.
            .stdout(log.try_clone().expect("chromedriver's log file"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", driver_bin.display()));
        if let Err(why) = wait_ready(&mut driver, port).await {
            panic!("chromedriver did not start: {why}\n{}", read_log(&log_path));
        }

        let profile = dir.path().join("profile");
        let caps = opts.capabilities(chromium, &profile);
        let mut session =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        session.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let why = match tokio::time::timeout(SESSION_START, session.connect(&url)).await {
            Ok(Ok(client)) => {
                return Browser {
                    client,
                    driver,
                    profile,
                    closed: false,
                    dir,
                }
            }
            Ok(Err(e)) => format!("chromedriver could not start {}: {e}", chromium.display()),
            Err(_) => format!("no browser session after {SESSION_START:?}"),
        };
        // A Chromium that started but never answered would outlive chromedriver.
        stop_chromium(&profile);
        panic!("{why}\n{}", read_log(&log_path));
    }

    /// The WebDriver client, for everything the helpers do not cover (`execute`, windows,
    /// cookies, `find_all`, …).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        if let Err(e) = self.client.goto(url).await {
            panic!("the browser could not open {url}: {e}");
        }
    }

    /// The first element matching `css`, waiting up to [`PATIENCE`] for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_for(css, PATIENCE).await
    }

    /// The first element matching `css`, waiting up to `timeout` for it to appear.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let found = self
            .client
            .wait()
            .at_most(timeout)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(el) => el,
            Err(e) => panic!(
                "nothing matches `{css}` on {} after {timeout:?}: {e}",
                self.page().await
            ),
        }
    }

    /// Replaces the value of the input matching `css` with `text`, typed as keystrokes.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.clear().await {
            panic!("cannot clear `{css}` on {}: {e}", self.page().await);
        }
        if let Err(e) = el.send_keys(text).await {
            panic!("cannot type into `{css}` on {}: {e}", self.page().await);
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.click().await {
            panic!("cannot click `{css}` on {}: {e}", self.page().await);
        }
    }

    /// The rendered text of the element matching `css` (what a user sees, not the markup).
    pub async fn text_of(&self, css: &str) -> String {
        let el = self.find(css).await;
        match el.text().await {
            Ok(t) => t,
            Err(e) => panic!("cannot read `{css}` on {}: {e}", self.page().await),
        }
    }

    /// The text of the element matching `css` once it contains `needle`, checking every 50 ms
    /// for up to `timeout`; for pages that update themselves.
    pub async fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            // The element may not exist yet, or be replaced between finding and reading.
            let seen = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.ok(),
                Err(_) => None,
            };
            match seen {
                Some(text) if text.contains(needle) => return text,
                _ if Instant::now() >= deadline => panic!(
                    "`{css}` on {} did not show {needle:?} within {timeout:?}; it showed {seen:?}",
                    self.page().await
                ),
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Saves the viewport as `target/screenshots/<name>.png` and returns the path. Parallel
    /// tests need distinct names.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => panic!("cannot take a screenshot of {}: {e}", self.page().await),
        };
        let path = screenshots_dir().join(format!("{name}.png"));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Ends the WebDriver session (Chromium exits) and stops chromedriver.
    pub async fn close(mut self) {
        if let Err(e) = self.client.clone().close().await {
            panic!("the browser session did not end cleanly: {e}");
        }
        // chromedriver answers before Chromium's helpers have gone, and they still write to
        // the profile, which is removed next.
        let profile = self.profile.clone();
        let _ = tokio::task::spawn_blocking(move || stop_chromium(&profile)).await;
        let _ = self.driver.kill().await;
        self.closed = true;
    }

    /// The page the browser is on, for error messages.
    async fn page(&self) -> String {
        self.client
            .current_url()
            .await
            .map_or_else(|_| "an unknown page".to_owned(), |u| u.to_string())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        // chromedriver dies with `driver` (kill_on_drop), but Chromium is not tied to it and
        // would live on, with its few hundred MB, after a test that panicked.
        stop_chromium(&self.profile);
        let _ = self.driver.start_kill();
    }
}

/// Stops the Chromium running on `profile` and waits until it has: the browser process is
/// asked to quit, which takes its helpers along; whatever is left after 3 s is killed.
fn stop_chromium(profile: &Path) {
    use rustix::process::{kill_process, Pid, Signal};
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut asked = false;
    loop {
        let procs = chromium_processes(profile);
        let late = Instant::now() >= deadline;
        if procs.is_empty() || late {
            for (pid, _) in procs {
                let _ = Pid::from_raw(pid).map(|p| kill_process(p, Signal::KILL));
            }
            return;
        }
        if !asked {
            for (pid, _) in procs.iter().filter(|(_, browser)| *browser) {
                let _ = Pid::from_raw(*pid).map(|p| kill_process(p, Signal::TERM));
            }
            asked = true;
        }
        std::thread::sleep(POLL);
    }
}

/// Live processes of the Chromium on `profile`, and whether each is the browser process
/// (the others have a `--type`). They are found by `--user-data-dir`, which every one of them
/// carries and no other test's shares: their pids are not all known, and not all children
/// of chromedriver.
fn chromium_processes(profile: &Path) -> Vec<(i32, bool)> {
    let flag = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            // Helpers rewrite their command line as one space-separated string, so this looks
            // for the flag inside it rather than comparing arguments. A zombie's is empty.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            let ours = cmdline.match_indices(&flag).any(|(at, _)| {
                matches!(
                    cmdline[at + flag.len()..].chars().next(),
                    None | Some(' ' | '\0')
                )
            });
            ours.then(|| (pid, !cmdline.contains("--type=")))
        })
        .collect()
}

/// `target/screenshots`, in whichever target directory cargo built these tests into.
pub fn screenshots_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp` as cargo resolved it (CARGO_TARGET_DIR, a
    // config's target-dir, or the workspace's `target`), so this follows all of them.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or_else(|| crate::helpers::repo().join("target"), Path::to_path_buf)
        .join("screenshots")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port for chromedriver")
}

/// Waits for chromedriver's `/status` to say it is ready.
async fn wait_ready(driver: &mut tokio::process::Child, port: u16) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{port}/status");
    let deadline = Instant::now() + DRIVER_START;
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("it exited ({status})"));
        }
        if let Ok(resp) = http.get(&url).send().await {
            if let Ok(body) = resp.json::<Value>().await {
                if body["value"]["ready"] == true {
                    return Ok(());
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("{url} not ready after {DRIVER_START:?}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn read_log(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(log) => format!("--- chromedriver log ---\n{log}"),
        Err(e) => format!("(no chromedriver log at {}: {e})", path.display()),
    }
}
