//! The brokers a run measures from outside: an `automqd` the bench starts itself on a chosen backend and WAL kind,
//! and the memory and CPU of whichever broker process on this machine listens on the bootstrap address.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The WAL kind of a broker the bench starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Wal {
    #[default]
    File,
    Object,
}

impl Wal {
    pub fn as_str(self) -> &'static str {
        match self {
            Wal::File => "file",
            Wal::Object => "object",
        }
    }
}

/// How to start an `automqd`.
#[derive(Debug, Clone)]
pub struct BrokerSpec {
    pub bin: PathBuf,
    /// `storage.data`: a `file://`, `s3://` or `hdfs://` URI; `None`: a fresh temporary directory.
    pub backend: Option<String>,
    pub wal: Wal,
}

impl BrokerSpec {
    pub fn describe(&self) -> String {
        format!(
            "automqd on {} ({} WAL)",
            self.backend.as_deref().unwrap_or("a temporary directory"),
            self.wal.as_str()
        )
    }
}

/// A running `automqd`, stopped (SIGTERM, then SIGKILL) when dropped. Its scratch folder holds the file WAL and,
/// without a backend URI, the data.
#[derive(Debug)]
pub struct LocalBroker {
    spec: BrokerSpec,
    child: Child,
    pub addr: SocketAddr,
    data: String,
    scratch: tempfile::TempDir,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl LocalBroker {
    pub fn start(spec: &BrokerSpec) -> Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix("automqctl-bench-")
            .tempdir()
            .context("creating a scratch folder for automqd")?;
        let data = match &spec.backend {
            Some(uri) => uri.clone(),
            None => format!("file://{}", scratch.path().join("data").display()),
        };
        Self::spawn(spec.clone(), scratch, data)
    }

    fn spawn(spec: BrokerSpec, scratch: tempfile::TempDir, data: String) -> Result<Self> {
        if !spec.bin.is_file() {
            bail!(
                "automqd not found at {}; put it next to automqctl or set AUTOMQD_BIN",
                spec.bin.display()
            );
        }
        let wal_path = scratch.path().join("wal");
        let mut child = Command::new(&spec.bin)
            .args(["--set", "listeners=[127.0.0.1:0]"])
            .args(["--set", "http.listener=null"])
            .args(["--set", &format!("storage.data={data}")])
            .args(["--set", &format!("wal.kind={}", spec.wal.as_str())])
            .args(["--set", &format!("wal.path={}", wal_path.display())])
            .current_dir(scratch.path())
            // automqd reads every AUTOMQD_<KEY> variable as a setting; this one names its binary, no setting.
            .env_remove("AUTOMQD_BIN")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", spec.bin.display()))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel();
        let outputs: [Option<Box<dyn std::io::Read + Send>>; 2] = [
            child.stdout.take().map(|s| Box::new(s) as _),
            child.stderr.take().map(|s| Box::new(s) as _),
        ];
        for out in outputs.into_iter().flatten() {
            let (tx, log) = (tx.clone(), log.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Some(a) = line.split("listening on ").nth(1) {
                        let a: String = a
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '"')
                            .collect();
                        let _ = tx.send(a);
                    }
                    let mut l = log.lock().unwrap_or_else(|e| e.into_inner());
                    if l.len() == 40 {
                        l.pop_front();
                    }
                    l.push_back(line);
                }
            });
        }
        drop(tx);
        let deadline = Instant::now() + Duration::from_secs(120);
        let addr = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(a) => break a.parse::<SocketAddr>().ok(),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        bail!(
                            "automqd exited ({status}) before listening; its last lines:\n{}",
                            tail(&log)
                        );
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        bail!(
                            "automqd did not listen within 120 s; its last lines:\n{}",
                            tail(&log)
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            }
        };
        let Some(addr) = addr else {
            let _ = child.kill();
            bail!(
                "automqd printed no listening address; its last lines:\n{}",
                tail(&log)
            );
        };
        Ok(Self {
            spec,
            child,
            addr,
            data,
            scratch,
            log,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// Stops the broker cleanly (it uploads what its WAL holds) and starts it again on the same data: afterwards
    /// nothing is in its caches, so reads come from objects.
    pub fn restart(mut self) -> Result<Self> {
        self.stop()?;
        let spec = self.spec.clone();
        let data = self.data.clone();
        // The scratch folder moves to the new process; this one's Drop then has nothing to stop.
        let scratch = std::mem::replace(
            &mut self.scratch,
            tempfile::Builder::new()
                .prefix("automqctl-bench-")
                .tempdir()
                .context("creating a scratch folder")?,
        );
        Self::spawn(spec, scratch, data)
    }

    /// SIGTERM, and up to 60 s for the upload and exit.
    pub fn stop(&mut self) -> Result<()> {
        if self.child.try_wait().ok().flatten().is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                if !status.success() {
                    bail!(
                        "automqd stopped with {status}; its last lines:\n{}",
                        tail(&self.log)
                    );
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("automqd did not stop within 60 s of SIGTERM; killed it");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for LocalBroker {
    fn drop(&mut self) {
        if self.stop().is_err() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(log: &Mutex<VecDeque<String>>) -> String {
    let l = log.lock().unwrap_or_else(|e| e.into_inner());
    l.iter().cloned().collect::<Vec<_>>().join("\n")
}

/// The pid of the process on this machine that listens on `bootstrap`'s first address (Linux, via /proc), or
/// `None` for a remote or unknown broker.
pub fn listener_pid(bootstrap: &str) -> Option<u32> {
    let first = bootstrap.split(',').next()?.trim();
    let addrs: Vec<SocketAddr> = first.to_socket_addrs().ok()?.collect();
    let port = addrs.first()?.port();
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != "0A" {
                continue; // not a listening socket
            }
            let Some((ip, p)) = f[1].split_once(':') else {
                continue;
            };
            if u16::from_str_radix(p, 16).ok() != Some(port) {
                continue;
            }
            let local = parse_proc_ip(ip);
            if local.is_some_and(|l| l.is_unspecified() || ips.contains(&l)) {
                inodes.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && inodes.iter().any(|i| Path::new(i) == target)
            {
                return Some(pid);
            }
        }
    }
    None
}

/// An address as /proc/net/tcp{,6} prints it: 32-bit words in host byte order, as hex.
fn parse_proc_ip(hex: &str) -> Option<IpAddr> {
    let words: Option<Vec<u32>> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok())
        .collect();
    let bytes: Vec<u8> = words?.iter().flat_map(|w| w.to_ne_bytes()).collect();
    match bytes.len() {
        4 => Some(IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]])),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes);
            let v6 = std::net::Ipv6Addr::from(b);
            Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
        }
        _ => None,
    }
}

/// Resident memory (VmRSS) of `pid` in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user and system) `pid` has used, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(ticks as f64 / 100.0)
}

/// Samples a process's memory four times a second, and its CPU time, over a phase's measured window.
#[derive(Debug)]
pub struct Sampler {
    pid: u32,
    stop: Arc<AtomicBool>,
    max_rss: Arc<AtomicU64>,
    /// CPU seconds and the time when the window began.
    began: Arc<Mutex<Option<(f64, Instant)>>>,
    thread: Option<JoinHandle<()>>,
}

/// What a sampler saw.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct BrokerUsage {
    pub pid: u32,
    /// The largest resident set seen, in bytes.
    pub rss_max_bytes: u64,
    /// CPU time used over wall time: 1.0 is one core busy.
    pub cpu_cores: Option<f64>,
}

impl Sampler {
    /// Starts measuring at `at` (the end of the warm-up).
    pub fn start_at(pid: u32, at: Instant) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max_rss = Arc::new(AtomicU64::new(0));
        let began = Arc::new(Mutex::new(None));
        let thread = {
            let (stop, max_rss, began) = (stop.clone(), max_rss.clone(), began.clone());
            std::thread::spawn(move || {
                while Instant::now() < at {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep((at - Instant::now()).min(Duration::from_millis(50)));
                }
                *began.lock().unwrap_or_else(|e| e.into_inner()) =
                    cpu_seconds(pid).map(|c| (c, Instant::now()));
                while !stop.load(Ordering::Relaxed) {
                    if let Some(r) = rss_bytes(pid) {
                        max_rss.fetch_max(r, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            })
        };
        Self {
            pid,
            stop,
            max_rss,
            began,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) -> BrokerUsage {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(r) = rss_bytes(self.pid) {
            self.max_rss.fetch_max(r, Ordering::Relaxed);
        }
        let began = *self.began.lock().unwrap_or_else(|e| e.into_inner());
        let cpu_cores = match (began, cpu_seconds(self.pid)) {
            (Some((a, t)), Some(b)) if t.elapsed().as_secs_f64() > 0.0 => {
                Some((b - a) / t.elapsed().as_secs_f64())
            }
            _ => None,
        };
        BrokerUsage {
            pid: self.pid,
            rss_max_bytes: self.max_rss.load(Ordering::Relaxed),
            cpu_cores,
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn proc_addresses_parse_as_the_kernel_prints_them() {
        // 127.0.0.1 on a little-endian host.
        if cfg!(target_endian = "little") {
            assert_eq!(
                parse_proc_ip("0100007F"),
                Some(IpAddr::from([127, 0, 0, 1]))
            );
            assert_eq!(
                parse_proc_ip("0000000000000000FFFF00000100007F"),
                Some(IpAddr::from([127, 0, 0, 1]))
            );
        }
        assert_eq!(
            parse_proc_ip("00000000000000000000000000000000"),
            Some(IpAddr::from([0u16; 8]))
        );
    }

    #[test]
    fn a_listener_of_this_process_is_found_with_its_memory_and_cpu() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        assert_eq!(listener_pid(&addr), Some(std::process::id()));
        assert!(rss_bytes(std::process::id()).unwrap() > 0);
        assert!(cpu_seconds(std::process::id()).is_some());
        drop(l);
        assert_eq!(listener_pid(&addr), None);
    }
}
