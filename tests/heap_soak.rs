//! The code heap under stress (invariant 6, "safe to share"): for a while, several
//! threads each start `nvm` processes one after another — runs of four programs whose call
//! graphs share one module (so they share entries), `nvm build`, `nvm cache gc` (some with a
//! small `--max-bytes`), `nvm cache clear`, `verify` and `stats` — all on one heap folder
//! (one run or build in 25 is killed with SIGKILL after a few milliseconds, as a writer
//! dying mid-write would be), while a fault thread damages the folder underneath them: it truncates, bit-flips,
//! overwrites with junk or with another entry, deletes and chmods entry files and the
//! temporary files of writers, makes the target folder unwritable or unreadable for a
//! moment, and plants junk entries under unused keys and stale temporary files.
//!
//! Every process must exit normally with the expected status, print exactly the program's
//! output, and write nothing to stderr but the heap's own warnings (and `--stats=json`).
//! After the faults stop, the contract is: one `nvm build` of each program repairs that
//! program's entries (a damaged one is detected, deleted and rebuilt), `nvm cache gc`
//! removes what no program uses (junk under unused keys, stale temporary files), and then
//! `nvm cache verify` is clean and a run of each program compiles nothing.
//!
//! `cargo test --test heap_soak` runs it for 20 s of faults; a long run:
//! `NVM_SOAK_SECONDS=600 cargo test --release --test heap_soak -- --nocapture`
//! (`NVM_SOAK_WORKERS`, default 3: concurrent process starters). The figures (processes,
//! faults by kind, warnings by kind) are printed at the end. When the test runs as root,
//! the processes run as `nobody` so that chmod faults deny access as they would to a user.

mod support;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use support::{env_u64, heap_files, nvm, Output, Stats, TempDir};

const MODULE: &str = "\
fn scale(x: f64) -> f64 { return x * 2.5; }
fn poly(x) { return x * x + 3 * x + 1; }
fn norm2(v) {
    let s = 0.0;
    for i in 0..len(v) { s += v[i] * v[i]; }
    return sqrt(s);
}
fn acc(n: i64) -> i64 {
    let s = 0;
    for i in 0..n { s += poly(i) % 7; }
    return s;
}
fn fib(n: i64) -> i64 {
    if n < 2 { return n; }
    return fib(n - 1) + fib(n - 2);
}
fn mix(a: f64[]) -> f64 { return norm2(a) + sum(a) + scale(float(len(a))); }
";

/// (file, source, arguments for `main`, expected stdout). The programs share the module's
/// functions in different combinations and specializations (`poly` for i64 and f64,
/// `norm2` for f64[] and i64[]), with loops, recursion and a three-level chain.
const PROGRAMS: [(&str, &str, &[&str], &str); 4] = [
    (
        "p1.nk",
        "import soaklib;
fn step(x: f64) -> f64 { return soaklib.scale(soaklib.poly(x)); }
let t = 0.0;
for i in 0..20 { t += step(float(i) * 0.5); }
print(t, soaklib.norm2(linspace(0, 1, 5)), sum(ones(7)));
",
        &[],
        "2306.25 1.3693063937629153 7.0\n",
    ),
    (
        "p2.nk",
        "import soaklib;
fn table(n: i64) -> i64 {
    let s = 0;
    for k in 0..n { s += soaklib.fib(k) + soaklib.poly(k); }
    return s;
}
print(table(15), soaklib.acc(100), soaklib.poly(4));
",
        &[],
        "2331 398 29\n",
    ),
    (
        "p3.nk",
        "import soaklib;
fn row(n: i64) -> f64[] {
    let a = zeros(n);
    for i in 0..n { a[i] = soaklib.scale(float(i)); }
    return a;
}
fn main(n: i64) {
    let r = row(n);
    print(soaklib.mix(r), soaklib.norm2(arange(n)), soaklib.norm2(r), soaklib.fib(12));
}
",
        &["6"],
        "71.04049621773916 7.416198487095663 18.540496217739157 144\n",
    ),
    (
        "p4.nk",
        "import soaklib;
fn leaf(x: f64) -> f64 { return soaklib.scale(x) + soaklib.poly(x); }
fn mid(n: i64) -> f64 {
    let s = 0.0;
    for i in 0..n { s += leaf(float(i)); }
    return s;
}
fn top(n: i64) -> f64 { return mid(n) + soaklib.mix(full(n, 0.5)) + float(soaklib.acc(n)); }
print(top(10), top(3), mid(4), sum(cumsum(ones(4))));
",
        &[],
        "612.0811388300842 44.366025403784434 51.0 10.0\n",
    ),
];

/// A process that runs longer than this is reported as hung (and killed).
const HANG: Duration = Duration::from_secs(120);

/// xorshift64*: each thread its own stream.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Everything counted during the soak.
#[derive(Default)]
struct Tally {
    processes: BTreeMap<String, u64>,
    faults: BTreeMap<String, u64>,
    warnings: BTreeMap<String, u64>,
    heap: BTreeMap<&'static str, u64>,
    failures: Vec<String>,
}

impl Tally {
    fn add(map: &mut BTreeMap<String, u64>, k: &str) {
        *map.entry(k.to_string()).or_default() += 1;
    }
}

/// The shared state of one soak.
struct Soak {
    dir: PathBuf,
    heap: PathBuf,
    /// Run the processes as this user (when the test is root; see the module doc).
    uid: Option<u32>,
    tally: Mutex<Tally>,
}

/// What a process did.
struct Out {
    /// Killed by this test (`nvm_kill`), so its output is not checked.
    killed: bool,
    out: Output,
}

impl std::ops::Deref for Out {
    type Target = Output;
    fn deref(&self) -> &Output {
        &self.out
    }
}

impl Soak {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    fn nvm(&self, args: &[&str]) -> Out {
        self.nvm_kill(args, None)
    }

    /// `nvm ARGS`; with `kill`, the process is killed (SIGKILL) after that long if it still
    /// runs — a writer dying between its temporary file and the rename, say. A process
    /// that runs longer than `HANG` is killed too (and then fails its check).
    fn nvm_kill(&self, args: &[&str], kill: Option<Duration>) -> Out {
        let mut cmd = nvm().args(args).timeout(HANG);
        if let Some(u) = self.uid {
            cmd = cmd.user(u);
        }
        let mut child = cmd.spawn();
        if let Some(after) = kill {
            std::thread::sleep(after);
            child.kill();
        }
        let pid = child.pid();
        let out = child.wait();
        if out.timed_out {
            eprintln!("SOAK: process {pid} ran for more than {HANG:?}: killed it");
        }
        Out {
            killed: kill.is_some() && out.signal == Some(libc::SIGKILL),
            out,
        }
    }

    fn heap_arg(&self) -> String {
        self.heap.to_str().unwrap().to_string()
    }

    fn fail(&self, what: &str, args: &[&str], o: &Out, why: &str) {
        let msg = format!(
            "{what}: {why}\n  nvm {}\n  exit {:?} signal {:?}\n  stdout: {:?}\n  stderr: {}",
            args.join(" "),
            o.code,
            o.signal,
            o.stdout,
            o.stderr
        );
        eprintln!("SOAK FAILURE {msg}");
        self.tally.lock().unwrap().failures.push(msg);
    }

    /// Checks stderr: the heap's warnings (counted), then the `--stats=json` line if
    /// `stats`. Returns those statistics.
    fn check_stderr(&self, what: &str, args: &[&str], o: &Out, stats: bool) -> Option<Stats> {
        let mut lines: Vec<&str> = o.stderr.lines().collect();
        let json = if stats {
            match lines.pop() {
                Some(l) if l.starts_with('{') && l.ends_with('}') => Some(Stats::parse(l)),
                _ => {
                    self.fail(what, args, o, "no --stats=json line last on stderr");
                    return None;
                }
            }
        } else {
            None
        };
        let mut t = self.tally.lock().unwrap();
        for l in lines {
            match classify_warning(l) {
                Some(kind) => Tally::add(&mut t.warnings, &kind),
                None => {
                    drop(t);
                    self.fail(what, args, o, &format!("unexpected stderr line {l:?}"));
                    return None;
                }
            }
        }
        json
    }

    fn count_stats(&self, json: &Stats) {
        let mut t = self.tally.lock().unwrap();
        for k in [
            "compiled",
            "loaded",
            "heap_hits",
            "heap_misses",
            "heap_writes",
        ] {
            *t.heap.entry(k).or_default() += json.count(k);
        }
    }

    /// One run of program `p`; true if all was as expected. Returns its stats line.
    fn run(&self, p: usize, tier: &[&str], kill: Option<Duration>) -> Option<Stats> {
        let (file, _, args, want) = PROGRAMS[p];
        let file = self.path(file);
        let heap = self.heap_arg();
        let mut a = vec!["run"];
        a.extend_from_slice(tier);
        a.extend_from_slice(&["--stats=json", "--cache-dir", &heap, &file]);
        a.extend_from_slice(args);
        let o = self.nvm_kill(&a, kill);
        if o.killed {
            Tally::add(&mut self.tally.lock().unwrap().processes, "run (killed)");
            return None;
        }
        Tally::add(&mut self.tally.lock().unwrap().processes, "run");
        if o.code != Some(0) {
            self.fail("run", &a, &o, "exit status is not 0");
            return None;
        }
        if o.stdout != want {
            self.fail("run", &a, &o, &format!("stdout is not {want:?}"));
            return None;
        }
        let json = self.check_stderr("run", &a, &o, true)?;
        self.count_stats(&json);
        Some(json)
    }

    fn build(&self, p: usize, kill: Option<Duration>) -> Option<Stats> {
        let file = self.path(PROGRAMS[p].0);
        let heap = self.heap_arg();
        let a = ["build", "--stats=json", "--cache-dir", &heap, &file];
        let o = self.nvm_kill(&a, kill);
        if o.killed {
            Tally::add(&mut self.tally.lock().unwrap().processes, "build (killed)");
            return None;
        }
        Tally::add(&mut self.tally.lock().unwrap().processes, "build");
        if o.code != Some(0) {
            self.fail("build", &a, &o, "exit status is not 0");
            return None;
        }
        if !(o.stdout.starts_with("built ") && o.stdout.ends_with(" already there\n")) {
            self.fail("build", &a, &o, "unexpected stdout");
            return None;
        }
        let json = self.check_stderr("build", &a, &o, true)?;
        self.count_stats(&json);
        Some(json)
    }

    /// `nvm cache ACTION [extra]`: exit status in `ok`, stdout starting with `prefix`,
    /// nothing on stderr.
    fn cache(&self, action: &str, extra: &[&str], ok: &[i32], prefix: &str) -> Option<String> {
        let heap = self.heap_arg();
        let mut a = vec!["cache", action];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--cache-dir", &heap]);
        let o = self.nvm(&a);
        let label = match extra.first() {
            None => action.to_string(),
            Some(flag) => format!("{action} {flag} N"),
        };
        Tally::add(&mut self.tally.lock().unwrap().processes, &label);
        if !o.code.is_some_and(|c| ok.contains(&c)) {
            self.fail(action, &a, &o, &format!("exit status is not one of {ok:?}"));
            return None;
        }
        if !o.stdout.starts_with(prefix) || !o.stderr.is_empty() {
            self.fail(action, &a, &o, "unexpected output");
            return None;
        }
        Some(o.out.stdout)
    }

    /// The target folders under the heap root.
    fn target_dirs(&self) -> Vec<PathBuf> {
        fs::read_dir(&self.heap)
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| d.path())
            .filter(|p| p.is_dir())
            .collect()
    }
}

/// The kind of a heap warning (its reason without numbers and paths), or None if `line`
/// is not one of the heap's warnings.
fn classify_warning(line: &str) -> Option<String> {
    let rest = line.strip_prefix("nvm: warning: ")?;
    // A run image and a pack are judged like an entry (damaged: a warning, a miss, rebuilt).
    let (rest, kind) = match (
        rest.strip_prefix("run image "),
        rest.strip_prefix("code heap pack "),
    ) {
        (Some(r), _) => (r, "unusable run image"),
        (_, Some(r)) => (r, "unusable pack"),
        _ => (rest, "unusable entry"),
    };
    if kind != "unusable entry" || rest.starts_with("code heap entry ") {
        let reason = rest
            .split_once(" is unusable (")?
            .1
            .strip_suffix("); it is rebuilt")?;
        let reason: String = reason
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        let mut squeezed = String::new();
        for c in reason.chars() {
            if !(c == '#' && squeezed.ends_with('#')) {
                squeezed.push(c);
            }
        }
        return Some(format!("{kind}: {squeezed}"));
    }
    if rest.starts_with("cannot write a run image to ")
        && rest.ends_with("; the next run checks the program again")
    {
        let why = rest
            .split_once(" (")?
            .1
            .strip_suffix("); the next run checks the program again")?;
        return Some(format!("cannot write a run image: {why}"));
    }
    if rest.starts_with("cannot write to the code heap at ")
        && rest.ends_with("; this run continues without saving compiled code")
    {
        let why = rest
            .split_once(" (")?
            .1
            .strip_suffix("); this run continues without saving compiled code")?;
        return Some(format!("cannot write: {why}"));
    }
    None
}

/// A process starter: until `stop`, one random action after another.
fn worker(s: &Soak, mut rng: Rng, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let p = rng.below(PROGRAMS.len() as u64) as usize;
        // One run or build in 25 is killed after 0-40 ms (if it has not finished).
        let kill = rng
            .chance(4)
            .then(|| Duration::from_micros(rng.below(40_000)));
        match rng.below(100) {
            0..=54 => {
                s.run(p, &["--tier=jit"], kill);
            }
            55..=64 => {
                s.run(p, &["--tier=auto", "--jit-calls=1"], kill);
            }
            65..=69 => {
                s.run(p, &["--tier=auto"], kill);
            }
            70..=81 => {
                s.build(p, kill);
            }
            82..=86 => {
                s.cache("gc", &[], &[0], "removed ");
            }
            87..=89 => {
                let max = format!("{}", rng.below(6000));
                s.cache("gc", &["--max-bytes", &max], &[0], "removed ");
            }
            90..=92 => {
                s.cache("clear", &[], &[0], "removed ");
            }
            93..=96 => {
                // Damaged entries are problems (exit 1), never a crash.
                s.cache("verify", &[], &[0, 1], "");
            }
            _ => {
                s.cache("stats", &[], &[0], "code heap at ");
            }
        }
    }
}

/// Overwrites `p` in place with `bytes` (no rename: the damage writers never do).
fn overwrite(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).truncate(true).open(p)?;
    f.write_all(bytes)
}

fn junk(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next() as u8).collect()
}

/// One fault on file `p` (an entry or a writer's temporary file); its kind if it was done.
fn damage_file(rng: &mut Rng, p: &Path, others: &[PathBuf]) -> Option<&'static str> {
    let len = fs::metadata(p).ok()?.len();
    match rng.below(6) {
        0 => {
            let f = OpenOptions::new().write(true).open(p).ok()?;
            f.set_len(rng.below(len.max(1))).ok()?;
            Some("truncate")
        }
        1 => {
            if len == 0 {
                return None;
            }
            let mut f = OpenOptions::new().read(true).write(true).open(p).ok()?;
            let at = rng.below(len);
            let mut b = [0u8];
            f.seek(SeekFrom::Start(at)).ok()?;
            std::io::Read::read_exact(&mut f, &mut b).ok()?;
            b[0] ^= 1 << rng.below(8);
            f.seek(SeekFrom::Start(at)).ok()?;
            f.write_all(&b).ok()?;
            Some("bit flip")
        }
        2 => {
            // Junk: random bytes, sometimes behind a valid-looking magic.
            let n = rng.below(300) as usize;
            let mut b = junk(rng, n);
            if rng.chance(50) && b.len() >= 8 {
                b[..8].copy_from_slice(b"NVMHEAP\0");
            }
            overwrite(p, &b).ok()?;
            Some("junk")
        }
        3 => {
            // Another entry's bytes: whole and valid, but for another key.
            let other = others.get(rng.below(others.len() as u64) as usize)?;
            if other == p {
                return None;
            }
            let b = fs::read(other).ok()?;
            overwrite(p, &b).ok()?;
            Some("other entry")
        }
        4 => {
            fs::remove_file(p).ok()?;
            Some("delete")
        }
        _ => {
            let mode = [0o000, 0o200, 0o444, 0o111][rng.below(4) as usize];
            fs::set_permissions(p, fs::Permissions::from_mode(mode)).ok()?;
            Some("chmod")
        }
    }
}

/// The fault thread: until `stop`, a fault every few milliseconds.
fn faulter(s: &Soak, mut rng: Rng, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(2 + rng.below(12)));
        // Writers' temporary files live for a moment: look for one a few times.
        let mut found = None;
        for _ in 0..10 {
            let tmps = heap_files(&s.heap).temps;
            if let Some(t) = tmps.first() {
                found = Some(t.clone());
                break;
            }
            std::thread::sleep(Duration::from_micros(300));
        }
        let entries = heap_files(&s.heap).entries;
        let kind = if let Some(t) = found.filter(|_| rng.chance(60)) {
            damage_file(&mut rng, &t, &entries).map(|k| format!("{k} (temporary file)"))
        } else {
            match rng.below(20) {
                0 => chmod_folder(s, &mut rng),
                1 => plant(s, &mut rng),
                2 => {
                    // A program's pack (one file holding all its code).
                    let packs = packs(&s.heap);
                    let Some(p) = packs.get(rng.below(packs.len() as u64) as usize) else {
                        continue;
                    };
                    damage_file(&mut rng, p, &packs).map(|k| format!("{k} (pack)"))
                }
                _ => {
                    let Some(e) = entries.get(rng.below(entries.len() as u64) as usize) else {
                        continue;
                    };
                    damage_file(&mut rng, e, &entries).map(|k| format!("{k} (entry)"))
                }
            }
        };
        if let Some(k) = kind {
            Tally::add(&mut s.tally.lock().unwrap().faults, &k);
        }
    }
}

/// The packs of the heap's target folders (`v1-*/*.nkp`).
fn packs(heap: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in fs::read_dir(heap).into_iter().flatten().flatten() {
        for f in fs::read_dir(d.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "nkp") {
                v.push(f.path());
            }
        }
    }
    v
}

/// Makes a target folder unwritable or unreadable for a moment.
fn chmod_folder(s: &Soak, rng: &mut Rng) -> Option<String> {
    let dirs = s.target_dirs();
    let d = dirs.first()?;
    let mode = if rng.chance(50) { 0o555 } else { 0o000 };
    fs::set_permissions(d, fs::Permissions::from_mode(mode)).ok()?;
    std::thread::sleep(Duration::from_millis(5 + rng.below(40)));
    // If a `clear` removed it meanwhile, there is nothing to restore.
    let _ = fs::set_permissions(d, fs::Permissions::from_mode(0o755));
    Some(format!("chmod {mode:o} (target folder)"))
}

/// Leaves what no writer would: a junk entry under a key no program uses, or a writer's
/// temporary file abandoned two minutes ago.
fn plant(s: &Soak, rng: &mut Rng) -> Option<String> {
    let dirs = s.target_dirs();
    let d = dirs.first()?;
    if rng.chance(50) {
        let key = format!("{:016x}{:016x}", rng.next(), rng.next());
        let n = 64 + rng.below(200) as usize;
        let b = junk(rng, n);
        fs::write(d.join(format!("{key}.nkc")), b).ok()?;
        Some("junk entry under an unused key".into())
    } else {
        let p = d.join(format!(".tmp-{:032x}-1-{}", rng.next(), rng.below(1 << 30)));
        let f = fs::File::create(&p).ok()?;
        let _ = (&f).write_all(&junk(rng, 100));
        f.set_modified(SystemTime::now() - Duration::from_secs(120))
            .ok()?;
        Some("stale temporary file".into())
    }
}

#[test]
fn the_heap_survives_concurrent_processes_and_faults() {
    let seconds = env_u64("NVM_SOAK_SECONDS", 20);
    let workers = env_u64("NVM_SOAK_WORKERS", 3);
    let seed = env_u64(
        "NVM_SOAK_SEED",
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    let tmp = TempDir::new("soak");
    let dir = tmp.path().to_path_buf();
    fs::create_dir_all(dir.join("heap")).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut soak = Soak {
        heap: dir.join("heap"),
        dir: dir.clone(),
        uid: None,
        tally: Mutex::default(),
    };
    fs::write(dir.join("soaklib.nk"), MODULE).unwrap();
    for (file, src, _, _) in PROGRAMS {
        fs::write(dir.join(file), src).unwrap();
    }
    if root {
        // Root reads any file whatever its mode; `nobody` does not.
        for p in [dir.clone(), dir.join("heap")] {
            fs::set_permissions(&p, fs::Permissions::from_mode(0o777)).unwrap();
        }
        soak.uid = Some(65534);
        // Unless `nobody` cannot reach the folder (a private temporary folder, say).
        let p1 = soak.path(PROGRAMS[0].0);
        if soak.nvm(&["run", "--tier=interp", "--no-cache", &p1]).code != Some(0) {
            soak.uid = None;
        }
    }
    // The expected outputs are the interpreter's, without any heap.
    for (file, _, args, want) in PROGRAMS {
        let f = soak.path(file);
        let mut a = vec!["run", "--tier=interp", "--no-cache", &f];
        a.extend_from_slice(args);
        let o = soak.nvm(&a);
        assert_eq!((o.code, o.stdout.as_str()), (Some(0), want), "{}", o.stderr);
    }
    println!(
        "heap soak: {seconds} s of faults, {workers} process starters, seed {seed}, processes run as {}",
        if soak.uid.is_some() { "nobody" } else if root { "root (chmod faults deny nothing)" } else { "this user" }
    );

    let soak = Arc::new(soak);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut threads = Vec::new();
    for w in 0..workers {
        let (s, st) = (soak.clone(), stop.clone());
        let rng = Rng::new(seed ^ (w + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        threads.push(std::thread::spawn(move || worker(&s, rng, &st)));
    }
    let stop_faults = Arc::new(AtomicBool::new(false));
    let faults = {
        let (s, st) = (soak.clone(), stop_faults.clone());
        let rng = Rng::new(seed.rotate_left(17) ^ 0xfa17);
        std::thread::spawn(move || faulter(&s, rng, &st))
    };
    let mut next_report = 60;
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(200));
        if started.elapsed().as_secs() >= next_report {
            let t = soak.tally.lock().unwrap();
            println!(
                "  {next_report} s: {} processes, {} faults, {} warnings, {} failures",
                t.processes.values().sum::<u64>(),
                t.faults.values().sum::<u64>(),
                t.warnings.values().sum::<u64>(),
                t.failures.len()
            );
            next_report += 60;
        }
    }
    // Faults stop first, then the processes that were running when they stopped finish.
    stop_faults.store(true, Ordering::Relaxed);
    faults.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let chaos = started.elapsed();

    // The repair: a build of each program, then gc; verify is clean; runs compile nothing.
    let s = &*soak;
    for d in s.target_dirs() {
        assert!(
            fs::metadata(&d).unwrap().permissions().mode() & 0o777 == 0o755,
            "the fault thread restored {}",
            d.display()
        );
    }
    let before = s.cache("verify", &[], &[0, 1], "").unwrap_or_default();
    for p in 0..PROGRAMS.len() {
        s.build(p, None);
    }
    let gc = s.cache("gc", &[], &[0], "removed ").unwrap_or_default();
    let verify = s.cache("verify", &[], &[0], "");
    let tmps = heap_files(&s.heap).temps;
    let warnings_before_warm = s.tally.lock().unwrap().warnings.values().sum::<u64>();
    let mut cold_after_repair = Vec::new();
    for (p, prog) in PROGRAMS.iter().enumerate() {
        for tier in [&["--tier=jit"][..], &["--tier=auto", "--jit-calls=1"]] {
            if let Some(json) = s.run(p, tier, None) {
                let warm = json.count("compiled") == 0
                    && json.count("heap_writes") == 0
                    && json.count("loaded") > 0;
                if !warm {
                    cold_after_repair.push(format!("{} {tier:?}: {json}", prog.0));
                }
            }
        }
    }
    let verify_after = s.cache("verify", &[], &[0], "");

    let t = s.tally.lock().unwrap();
    let line = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("    {v:>8}  {k}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    println!(
        "heap soak: {:.1} s of faults, {:.1} s in all",
        chaos.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "  processes: {}\n{}",
        t.processes.values().sum::<u64>(),
        line(&t.processes)
    );
    println!(
        "  faults injected: {}\n{}",
        t.faults.values().sum::<u64>(),
        line(&t.faults)
    );
    println!(
        "  heap warnings seen: {}\n{}",
        t.warnings.values().sum::<u64>(),
        line(&t.warnings)
    );
    println!("  runs and builds: {:?}", t.heap.iter().collect::<Vec<_>>());
    println!("  verify when the faults stopped:\n{}", indent(&before));
    println!("  gc after the repair builds: {}", gc.trim());
    println!("  failures: {}", t.failures.len());
    assert!(
        t.failures.is_empty(),
        "{} failures; the first:\n{}",
        t.failures.len(),
        t.failures[..t.failures.len().min(5)].join("\n")
    );
    assert!(
        cold_after_repair.is_empty(),
        "warm means warm after the repair: {cold_after_repair:#?}"
    );
    assert_eq!(
        t.warnings.values().sum::<u64>(),
        warnings_before_warm,
        "the warm runs after the repair warn about nothing"
    );
    println!(
        "  verify after the repair:\n{}",
        indent(verify.as_deref().unwrap_or(""))
    );
    assert!(verify.is_some_and(|v| v.contains("heap is clean")));
    assert!(verify_after.is_some_and(|v| v.contains("heap is clean")));
    assert!(
        tmps.iter().all(|p| fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|m| m.elapsed().unwrap_or_default() < Duration::from_secs(60))),
        "gc removed the stale temporary files: {tmps:?}"
    );
    // The soak did what it says: processes of every kind, faults of every kind.
    for k in ["run", "build", "gc", "clear"] {
        assert!(t.processes.contains_key(k), "no {k} ran: {:?}", t.processes);
    }
    for k in [
        "truncate",
        "bit flip",
        "junk",
        "other entry",
        "delete",
        "chmod",
    ] {
        assert!(
            t.faults.keys().any(|f| f.starts_with(k)),
            "no {k} fault: {:?}",
            t.faults
        );
    }
    drop(t);
    for d in s.target_dirs() {
        let _ = fs::set_permissions(&d, fs::Permissions::from_mode(0o755));
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

// Regressions for what the soak found, each on its own small heap.

/// A folder with the soak's module and programs and an empty heap.
fn small_heap(name: &str) -> TempDir {
    let d = TempDir::new(&format!("soak-{name}"));
    d.file("soaklib.nk", MODULE);
    for (file, src, _, _) in PROGRAMS {
        d.file(file, src);
    }
    d
}

/// `nvm ARGS --cache-dir D/heap` in D: (exit status, stdout, stderr).
fn nvm_in(d: &TempDir, args: &[&str]) -> (Option<i32>, String, String) {
    let o = nvm()
        .args(args)
        .arg("--cache-dir")
        .arg(d.heap())
        .current_dir(d)
        .run();
    (o.code, o.stdout, o.stderr)
}

#[test]
fn verify_accepts_a_recursive_function() {
    // `soaklib.fib` calls itself: its code "contains" its callee's code, trivially.
    let d = small_heap("recursive");
    let (code, out, err) = nvm_in(&d, &["run", "--tier=jit", "p2.nk"]);
    assert_eq!((code, out.as_str()), (Some(0), PROGRAMS[1].3), "{err}");
    let (code, out, _) = nvm_in(&d, &["cache", "verify"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("heap is clean"), "{out}");
}

#[test]
fn verify_reports_an_entry_of_another_target_and_gc_removes_what_no_run_can_use() {
    let d = small_heap("gc-unusable");
    let (code, _, err) = nvm_in(&d, &["run", "--tier=jit", "p1.nk"]);
    assert_eq!(code, Some(0), "{err}");
    let entries = d.entries();
    let target = entries[0].parent().unwrap().to_path_buf();
    // An entry whose header names another target (the checksum covers code and metadata,
    // not the header): the loader refuses it, so verify must report it too.
    let mut b = fs::read(&entries[0]).unwrap();
    b[33] ^= 0x10;
    fs::write(&entries[0], &b).unwrap();
    // Junk under a key no program uses, a file named like no key, a stale temporary file.
    fs::write(target.join(format!("{}.nkc", "ab".repeat(16))), b"junk").unwrap();
    fs::write(target.join("notakey.nkc"), fs::read(&entries[1]).unwrap()).unwrap();
    let stale = target.join(format!(".tmp-{}-1-2", "cd".repeat(16)));
    let f = fs::File::create(&stale).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(600))
        .unwrap();
    let (code, out, _) = nvm_in(&d, &["cache", "verify"]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out.matches("problem:").count(), 3, "{out}");
    assert!(out.contains("another nvm version or CPU"), "{out}");
    // gc removes all three and the stale temporary file, and nothing else.
    let (code, out, err) = nvm_in(&d, &["cache", "gc"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("removed 3 entries"), "{out}");
    assert!(!stale.exists());
    assert_eq!(d.entries().len(), entries.len() - 1);
    let (code, out, _) = nvm_in(&d, &["cache", "verify"]);
    assert_eq!(code, Some(0), "{out}");
    // The one that was removed is rebuilt; then a run is warm.
    let (_, _, err) = nvm_in(&d, &["run", "--tier=jit", "p1.nk"]);
    assert!(err.is_empty(), "{err}");
    let (_, out, err) = nvm_in(&d, &["run", "--tier=jit", "--stats=json", "p1.nk"]);
    assert_eq!(out, PROGRAMS[0].3);
    assert_eq!(Stats::of(&err).count("compiled"), 0, "{err}");
}

#[test]
fn verify_reports_a_folder_it_cannot_read() {
    // Its entries cannot be checked, so the heap is not clean (it was "clean, 0 entries").
    let d = small_heap("unreadable");
    let (code, _, err) = nvm_in(&d, &["run", "--tier=jit", "p1.nk"]);
    assert_eq!(code, Some(0), "{err}");
    let target = d.entries()[0].parent().unwrap().to_path_buf();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = nvm().args([
        "cache",
        "verify",
        "--cache-dir",
        d.join("heap").to_str().unwrap(),
    ]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // Root reads any folder: check as `nobody`, who can reach the heap but not read it.
        for p in [d.path().to_path_buf(), d.join("heap")] {
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        cmd = cmd.user(65534);
    }
    let o = cmd.run();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
    let out = &o.stdout;
    assert_eq!(o.code, Some(1), "{out}");
    assert!(out.contains("unreadable folder"), "{out}");
    assert!(!out.contains("heap is clean"), "{out}");
}

#[test]
fn a_clear_between_a_writers_steps_costs_no_warning() {
    // `NVM_HEAP_FAULT=clear-race`: before each entry's first rename the folder is removed,
    // as a concurrent `nvm cache clear` would. The writer tries once more and goes on
    // saving (it used to warn "cannot write to the code heap" and save nothing more).
    let d = small_heap("clear-race");
    let o = nvm()
        .args(["run", "--tier=jit", "--stats=json", "--cache-dir"])
        .arg(d.join("heap"))
        .arg(d.join("p1.nk"))
        .env("NVM_HEAP_FAULT", "clear-race")
        .run();
    let err = &o.stderr;
    assert_eq!(o.code, Some(0), "{err}");
    assert_eq!(o.stdout, PROGRAMS[0].3);
    assert_eq!(err.lines().count(), 1, "only the stats line: {err}");
    assert!(Stats::of(err).count("compiled") > 1, "{err}");
    assert_eq!(
        Stats::of(err).count("heap_writes"),
        Stats::of(err).count("compiled"),
        "{err}"
    );
    // Each write's "clear" removed the files before it: the last one is there — the
    // program's pack, written after every entry.
    assert_eq!(d.entries().len(), 0);
    assert_eq!(packs(&d.join("heap")).len(), 1);
}
