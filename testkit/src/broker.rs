//! The `automqd` binary as a child process on ephemeral loopback ports.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running broker. Dropping it kills the process.
#[derive(Debug)]
pub struct BrokerProcess {
    child: Child,
    pub addrs: Vec<SocketAddr>,
    /// The metrics and health endpoint, on an ephemeral port unless `args` set `http.listener`.
    pub http: Option<SocketAddr>,
    pub log: mpsc::Receiver<String>,
}

impl BrokerProcess {
    /// Starts `bin` in `dir` with `args`, and waits for its `listening on ADDR` lines (one per listener).
    pub fn start(bin: &Path, dir: &Path, args: &[&str], listeners: usize) -> Self {
        // Brokers in tests run side by side: the metrics endpoint gets an ephemeral port too.
        let mut args: Vec<&str> = args.to_vec();
        if !args.iter().any(|a| a.starts_with("http.listener")) {
            args.extend(["--set", "http.listener=127.0.0.1:0"]);
        }
        let mut child = Command::new(bin)
            .args(&args)
            .current_dir(dir)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let (tx, rx) = mpsc::channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut addrs = Vec::new();
        let mut http = None;
        let mut seen = Vec::new();
        while addrs.len() < listeners {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    // An address ends at whitespace, or at the quote closing a JSON log line's message.
                    let addr_in = |rest: &str| -> String {
                        rest.chars()
                            .take_while(|c| !c.is_whitespace() && *c != '"')
                            .collect()
                    };
                    if let Some(a) = line.split("metrics and health on http://").nth(1) {
                        http = addr_in(a).parse().ok();
                    }
                    if let Some(a) = line.split("listening on ").nth(1) {
                        let a = addr_in(a);
                        addrs.push(
                            a.parse()
                                .unwrap_or_else(|e| panic!("bad address in `{line}`: {e}")),
                        );
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "automqd did not report its listeners within 30 s; output:\n{}",
                        seen.join("\n")
                    );
                }
            }
        }
        Self {
            child,
            addrs,
            http,
            log: rx,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. `TERM`) and waits up to 20 s for the exit.
    pub fn signal_and_wait(&mut self, signal: &str) -> ExitStatus {
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -{signal} failed");
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("automqd did not exit within 20 s of SIG{signal}");
    }

    /// Everything the broker has printed so far.
    pub fn drain_log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// Waits up to `timeout` for a printed line containing `needle`; returns every line read meanwhile, and
    /// whether the needle was seen. Output is read by background threads, so a line printed just now may not have
    /// arrived yet: wait for it rather than read once.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> (bool, Vec<String>) {
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    seen.push(line);
                    if hit {
                        return (true, seen);
                    }
                }
                Err(_) => return (false, seen),
            }
        }
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
