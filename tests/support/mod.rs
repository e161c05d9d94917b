//! What the integration tests share: running the `nvm` binary (arguments, environment,
//! stdin, a timeout that kills a hung child), temporary folders for sources and code heaps,
//! the `--stats=json` line, the corpus under tests/programs, and one program run in one of
//! the six tiers the corpus and the differential test compare.
//!
//! Each test file says `mod support;` and uses what it needs (hence the `allow`).

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Paths and the environment

/// The `nvm` binary cargo built for these tests.
pub fn nvm_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_nvm"))
}

/// `rel` inside the repository (e.g. `examples/caller_callee.nk`).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A number from the environment of the test, or `default` when it is not set; a value
/// that is not a number is a usage error of the test.
pub fn env_u64(key: &str, default: u64) -> u64 {
    match std::env::var(key) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{key} must be a number, not {v:?}")),
        Err(_) => default,
    }
}

// ---------------------------------------------------------------------------------------
// Temporary folders

/// A fresh folder under the system's temporary folder, private to this test process
/// (`nvm-NAME-PID-N`), removed when dropped (also when the test fails).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("nvm-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
        TempDir(d)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }

    /// Writes `text` to `name` in the folder (replacing it); returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
        path_str(&p)
    }

    /// The code heap folder `heap` in this folder (not created: nvm creates it).
    pub fn heap(&self) -> String {
        path_str(&self.0.join("heap"))
    }

    /// The entry files of the heap folder `heap`, sorted.
    pub fn entries(&self) -> Vec<PathBuf> {
        heap_files(&self.0.join("heap")).entries
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A path as the `&str` argument lists of the tests want it (temporary paths are UTF-8).
pub fn path_str(p: &Path) -> String {
    p.to_str().expect("a UTF-8 path").to_string()
}

/// The files in the target folders of a code heap (`HEAP/TARGET/KEY.nkc`, and the
/// temporary files `.tmp-*` of writers), each list sorted.
pub struct HeapFiles {
    pub entries: Vec<PathBuf>,
    pub temps: Vec<PathBuf>,
}

pub fn heap_files(heap: &Path) -> HeapFiles {
    let mut files = HeapFiles {
        entries: Vec::new(),
        temps: Vec::new(),
    };
    for d in std::fs::read_dir(heap).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with(".tmp-") {
                files.temps.push(f.path());
            } else if name.ends_with(".nkc") {
                files.entries.push(f.path());
            }
        }
    }
    files.entries.sort();
    files.temps.sort();
    files
}

// ---------------------------------------------------------------------------------------
// Running nvm

/// How long a run may take unless the test says otherwise; a longer one is killed and the
/// test fails (`run`) or sees `timed_out` (`output`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// A command line for the `nvm` binary. The child's environment is the test's minus every
/// `NVM_*` variable (the user's cache folder, JIT threshold or module path never leak in);
/// stdin is empty unless `stdin` gives it something; stdout and stderr are captured.
pub struct Nvm {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
}

/// `nvm` (the binary under test).
pub fn nvm() -> Nvm {
    Nvm::at(nvm_bin())
}

impl Nvm {
    /// Another copy of the binary (the differential test runs a private one).
    pub fn at(bin: impl AsRef<OsStr>) -> Nvm {
        let mut cmd = Command::new(bin);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("NVM_") {
                cmd.env_remove(k);
            }
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Nvm {
            cmd,
            stdin: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Nvm {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Nvm
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Nvm {
        self.cmd.env(key, value);
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Nvm
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.cmd.envs(vars);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Nvm {
        self.cmd.current_dir(dir);
        self
    }

    /// Bytes for the child's stdin (written by a thread, then closed).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Nvm {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn timeout(mut self, t: Duration) -> Nvm {
        self.timeout = t;
        self
    }

    /// Runs the child as this user and group (tests running as root drop to `nobody`).
    pub fn user(mut self, uid: u32) -> Nvm {
        self.cmd.uid(uid).gid(uid);
        self
    }

    fn describe(&self) -> String {
        let mut s = self.cmd.get_program().to_string_lossy().into_owned();
        for a in self.cmd.get_args() {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    /// Starts the child; both pipes are drained by threads, so a chatty child never
    /// blocks on a full pipe.
    pub fn spawn(mut self) -> Running {
        let what = self.describe();
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{what}`: {e}"));
        if let (Some(bytes), Some(mut pipe)) = (self.stdin.take(), child.stdin.take()) {
            // A child that stops reading early (`:quit`) is not an error of the test.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let drain = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = r.read_to_end(&mut v);
                v
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
        Running {
            child,
            stdout: Some(stdout),
            stderr: Some(stderr),
            started: Instant::now(),
            timeout: self.timeout,
            what,
        }
    }

    /// Runs to the end or the timeout (then the child is killed and `timed_out` is set).
    pub fn output(self) -> Output {
        self.spawn().wait()
    }

    /// Runs to the end; a child still running after the timeout is killed and the test
    /// fails.
    pub fn run(self) -> Output {
        let out = self.output();
        assert!(
            !out.timed_out,
            "`{}` still ran after {:?}: killed\nstdout:\n{}\nstderr:\n{}",
            out.what, out.elapsed, out.stdout, out.stderr
        );
        out
    }
}

/// A started child.
pub struct Running {
    child: Child,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    started: Instant,
    timeout: Duration,
    what: String,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The exit status if the child has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("waiting for nvm")
    }

    /// SIGKILL (a child already gone is fine).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// SIGINT, as Ctrl-C would send. Only while the child has not been waited for.
    pub fn interrupt(&self) {
        // SAFETY: kill(2) on our own child, which is not reaped yet (the caller has not
        // seen it end), so its pid is still its own.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
    }

    /// Waits for the end or the timeout (counted from the start), killing the child then.
    pub fn wait(mut self) -> Output {
        let mut timed_out = false;
        let status = loop {
            if let Some(st) = self.try_wait() {
                break st;
            }
            if self.started.elapsed() > self.timeout {
                timed_out = true;
                self.kill();
                break self.child.wait().expect("waiting for nvm");
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let text = |h: Option<JoinHandle<Vec<u8>>>| {
            String::from_utf8_lossy(&h.expect("joined once").join().expect("pipe reader"))
                .into_owned()
        };
        Output {
            code: status.code(),
            status: status.code().unwrap_or(-1),
            signal: status.signal(),
            exit: status,
            stdout: text(self.stdout.take()),
            stderr: text(self.stderr.take()),
            timed_out,
            elapsed: self.started.elapsed(),
            what: self.what.clone(),
        }
    }
}

/// What a run of nvm did.
pub struct Output {
    /// The exit code, or -1 when a signal ended the process.
    pub status: i32,
    /// The exit code, None when a signal ended the process.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub exit: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// Killed because it ran longer than its timeout.
    pub timed_out: bool,
    pub elapsed: Duration,
    /// The command line, for messages.
    pub what: String,
}

impl Output {
    /// The `--stats=json` line (the last line of stderr, a JSON object), or "" if none.
    pub fn stats_line(&self) -> &str {
        stats_line(&self.stderr).unwrap_or("")
    }

    pub fn try_stats(&self) -> Option<Stats> {
        Stats::from_stderr(&self.stderr)
    }

    /// The statistics; the test fails if stderr does not end with them.
    pub fn stats(&self) -> Stats {
        self.try_stats().unwrap_or_else(|| {
            panic!(
                "no --stats=json line last on stderr of `{}`:\n{}",
                self.what, self.stderr
            )
        })
    }

    /// A count from the statistics (which must be there).
    pub fn n(&self, key: &str) -> u64 {
        self.stats().count(key)
    }

    /// Stderr without its last line when that is the statistics.
    pub fn stderr_without_stats(&self) -> &str {
        let body_len = self.stderr.trim_end().rfind('\n').map_or(0, |i| i + 1);
        if stats_line(&self.stderr[body_len..]).is_some() {
            &self.stderr[..body_len]
        } else {
            &self.stderr
        }
    }
}

// ---------------------------------------------------------------------------------------
// `--stats=json`

/// The last line of `stderr` if it is a JSON object (what `--stats=json` prints last).
pub fn stats_line(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .last()
        .map(str::trim_end)
        .filter(|l| l.starts_with('{') && l.ends_with('}'))
}

/// The `--stats=json` object: its top-level fields, each value as its JSON text.
pub struct Stats {
    pub line: String,
    pub fields: Vec<(String, String)>,
}

impl Stats {
    /// The statistics on the last line of `stderr`.
    pub fn from_stderr(stderr: &str) -> Option<Stats> {
        stats_line(stderr).map(Stats::parse)
    }

    /// The statistics on the last line of `stderr`; the test fails if there are none.
    pub fn of(stderr: &str) -> Stats {
        Stats::from_stderr(stderr)
            .unwrap_or_else(|| panic!("no --stats=json line last on stderr:\n{stderr}"))
    }

    /// The top-level fields of a flat JSON object `line` (nested arrays and objects stay
    /// text), enough for the statistics.
    pub fn parse(line: &str) -> Stats {
        let line = line.trim();
        assert!(
            line.starts_with('{') && line.ends_with('}'),
            "not a JSON object: {line}"
        );
        let body = &line[1..line.len() - 1];
        let mut parts = Vec::new();
        let (mut depth, mut start, mut in_str) = (0, 0, false);
        let bytes = body.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            match c {
                b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
                b'[' | b'{' if !in_str => depth += 1,
                b']' | b'}' if !in_str => depth -= 1,
                b',' if !in_str && depth == 0 => {
                    parts.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&body[start..]);
        let fields = parts
            .into_iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                let (k, v) = f.split_once(':').expect("key: value");
                (k.trim().trim_matches('"').to_string(), v.trim().to_string())
            })
            .collect();
        Stats {
            line: line.to_string(),
            fields,
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A field's text; the test fails if it is missing.
    pub fn field(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("stats lack `{key}`: {:?}", self.fields))
    }

    /// A numeric field; the test fails if it is missing or not a number.
    pub fn num(&self, key: &str) -> f64 {
        let v = self.field(key);
        v.parse()
            .unwrap_or_else(|_| panic!("stats field `{key}` is not a number: {v}"))
    }

    /// A count (a numeric field as an integer).
    pub fn count(&self, key: &str) -> u64 {
        self.num(key) as u64
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.fields)
    }
}

// ---------------------------------------------------------------------------------------
// The corpus and the six tiers

/// The `.nk` files under tests/programs, sorted by path.
pub fn corpus_files() -> Vec<PathBuf> {
    files_with_extension(&corpus_root(), "nk")
}

/// Every file named `*.EXT` under `dir` (at any depth), sorted by path.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("cannot read the folder {}: {e}", d.display()));
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// tests/programs.
pub fn corpus_root() -> PathBuf {
    repo_path("tests/programs")
}

/// The ways every corpus program and every generated program runs; each must give the
/// interpreter's results. `cold` and `warm` are `--tier=jit` with a code heap: `cold`
/// fills it, `warm` (the same program again) must compile nothing and load everything.
/// `mixed` is auto with `--jit-calls=1`: nearly every call crosses between the tiers.
pub const TIERS: &[&str] = &["interp", "jit", "auto", "mixed", "cold", "warm"];

/// What one run printed (the statistics line removed from stderr).
#[derive(PartialEq, Debug)]
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// One program and how to run it in each of the `TIERS`.
pub struct TierRun<'a> {
    /// The binary (the differential test runs a private copy).
    pub bin: &'a Path,
    pub prog: &'a Path,
    pub args: &'a [String],
    pub env: &'a [(String, PathBuf)],
    /// The code heap of `cold` and `warm`.
    pub heap: &'a Path,
    /// A longer run is a hang.
    pub timeout: Duration,
}

impl TierRun<'_> {
    /// `nvm run TIER-FLAGS --stats=json --color=never PROG ARGS`. `Err` is a failure that
    /// needs no comparison: a hang, an internal error, a `jit` run that left functions
    /// interpreted, a `warm` run that compiled something.
    pub fn run(&self, tier: &str) -> Result<Outcome, String> {
        let cmd = Nvm::at(self.bin).arg("run");
        let cmd = match tier {
            "cold" | "warm" => cmd.arg("--tier=jit").arg("--cache-dir").arg(self.heap),
            "mixed" => cmd.args(["--tier=auto", "--jit-calls=1", "--no-cache"]),
            t => cmd.arg(format!("--tier={t}")).arg("--no-cache"),
        };
        let out = cmd
            .arg("--stats=json")
            .arg("--color=never")
            .arg(self.prog)
            .args(self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .timeout(self.timeout)
            .output();
        if out.timed_out {
            return Err(format!("timed out after {:?}", self.timeout));
        }
        let status = out.status;
        if status == 101
            || out.stderr.contains("internal error")
            || out.stderr.contains("internal:")
        {
            return Err(format!(
                "nvm failed internally (status {status}):\n{}",
                out.stderr
            ));
        }
        // The statistics line (last on stderr, when the program ran) is checked, then
        // removed.
        if let Some(stats) = out.try_stats() {
            if tier == "jit" && stats.get("interpreted") != Some("0") {
                return Err(format!("Cranelift left functions interpreted: {stats}"));
            }
            if tier == "warm" && stats.get("compiled") != Some("0") {
                return Err(format!("a warm run compiled something: {stats}"));
            }
        }
        Ok(Outcome {
            status,
            stderr: out.stderr_without_stats().to_string(),
            stdout: out.stdout,
        })
    }
}
