//! The server's memory, from `/proc/PID/status` (Linux).

use std::path::Path;

use serde::Serialize;

/// Resident set size now and its high-water mark, in kilobytes as the kernel counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// `VmRSS`.
    pub rss_kb: u64,
    /// `VmHWM`, the peak RSS since the process started; absent on some kernels.
    pub hwm_kb: Option<u64>,
}

/// Reads the memory of process `pid`.
pub fn read(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status(&status)
}

/// Reads `VmRSS` and `VmHWM` from the text of a `/proc/PID/status` file.
pub fn parse_status(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Some(Memory {
        rss_kb: field("VmRSS")?,
        hwm_kb: field("VmHWM"),
    })
}

/// Why no server process was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotFound;

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no `heatdesk serve` process found; pass --pid")
    }
}

/// Whether a command line is a heatdesk server: the program's file name contains
/// `heatdesk` and one argument is `serve`. Wrappers that do not exec (`timeout`, shells)
/// name heatdesk in a later argument and are not taken.
pub fn is_server(argv: &[&str]) -> bool {
    let Some(program) = argv.first() else {
        return false;
    };
    let name = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    name.contains("heatdesk") && argv.iter().skip(1).any(|arg| *arg == "serve")
}

/// Every running `heatdesk serve` process (one or several instances), in pid order,
/// found through `/proc/*/cmdline`.
pub fn find_servers() -> Result<Vec<u32>, NotFound> {
    let own = std::process::id();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Err(NotFound);
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&raw);
        let argv: Vec<&str> = text.split('\0').filter(|a| !a.is_empty()).collect();
        if is_server(&argv) {
            found.push(pid);
        }
    }
    found.sort_unstable();
    if found.is_empty() {
        Err(NotFound)
    } else {
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_peak_from_status() {
        let status = "Name:\theatdesk\nVmPeak:\t  900000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   80000 kB\nThreads:\t5\n";
        assert_eq!(
            parse_status(status),
            Some(Memory {
                rss_kb: 80000,
                hwm_kb: Some(81234)
            })
        );
        assert_eq!(parse_status("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn our_own_status_is_readable() {
        let Some(memory) = read(std::process::id()) else {
            panic!("/proc/self/status must be readable on Linux")
        };
        assert!(memory.rss_kb > 0);
    }

    #[test]
    fn recognises_heatdesk_serve_command_lines() {
        assert!(is_server(&["/tmp/t/release/heatdesk", "serve"]));
        assert!(is_server(&["heatdesk", "--config", "x.toml", "serve"]));
        assert!(!is_server(&["heatdesk", "chat"]));
        assert!(!is_server(&["timeout", "300", "heatdesk", "serve"]));
        assert!(!is_server(&["bash", "-c", "heatdesk serve"]));
        assert!(!is_server(&[]));
    }
}
