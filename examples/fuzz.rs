//! Fuzz harness for the `accel-cost` binary: mutates configs and runs every command on them.
//!
//! Rerun (from the project folder; CPU heavy, so `nice`):
//!
//! ```text
//! cargo build --release && nice cargo run --release --example fuzz -- --minutes 10
//! ```
//!
//! Options: `--minutes M` (default 10), `--seed S` (default 1), `--bin PATH` (default
//! target/release/accel-cost), `--out DIR` (findings; default target/fuzz-findings).
//!
//! Starting from `configs/` and every folder of `tests/fixtures/`, each round copies one config
//! folder into a fresh sandbox, mutates one to three of its files (bytes, value types, extreme
//! numbers, structure, hostile ids such as `../x`, terminal escape sequences, deep nesting,
//! very long lines), sometimes adds a hostile `--set`, plants symlinks and old-style temp names
//! in the output folder that point at a file outside it, and runs validate, compare (table and
//! JSON), estimate --json, explain, calibrate --json and report -o with a 5 s timeout each.
//!
//! A finding is: a panic (exit 101 or "panicked"), a timeout, an exit code other than 0/1/2 or
//! death by a signal, unparseable JSON from --json/--format json, a raw terminal control
//! character on stdout/stderr, or any change in the sandbox outside the output folder (the
//! planted symlinks' target included). Each is saved with its config and command under the
//! findings folder; the counts are printed at the end.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TIMEOUT: Duration = Duration::from_secs(5);

struct Opts {
    minutes: f64,
    seed: u64,
    bin: PathBuf,
    out: PathBuf,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        minutes: 10.0,
        seed: 1,
        bin: PathBuf::from("target/release/accel-cost"),
        out: PathBuf::from("target/fuzz-findings"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--minutes" => o.minutes = v.parse().map_err(|e| format!("--minutes: {e}"))?,
            "--seed" => o.seed = v.parse().map_err(|e| format!("--seed: {e}"))?,
            "--bin" => o.bin = PathBuf::from(v),
            "--out" => o.out = PathBuf::from(v),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    Ok(o)
}

/// The starting points: each a list of (relative path, text).
fn seeds() -> Vec<Vec<(PathBuf, Vec<u8>)>> {
    let mut roots = vec![PathBuf::from("configs")];
    for base in ["tests/fixtures", "tests/fixtures/broken"] {
        if let Ok(rd) = fs::read_dir(base) {
            let mut dirs: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && !p.ends_with("broken"))
                .collect();
            dirs.sort();
            roots.extend(dirs);
        }
    }
    roots
        .iter()
        .map(|r| {
            let mut files = Vec::new();
            collect(r, r, &mut files);
            files
        })
        .filter(|f| !f.is_empty())
        .collect()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(root, &p, out);
        } else if p.extension().is_some_and(|e| e == "toml")
            && let (Ok(rel), Ok(bytes)) = (p.strip_prefix(root), fs::read(&p))
        {
            out.push((rel.to_path_buf(), bytes));
        }
    }
}

const EXTREMES: [&str; 18] = [
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "0",
    "-0.0",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "1e-320",
    "-1",
    "0x7fffffff",
    "{ low = 1, base = 0, high = -1 }",
    "{ low = 0, base = 0, high = 0 }",
    "{ low = 1e308, base = 1e308, high = 1e308 }",
    "{ low = -1, base = 1e-300, high = 1e300 }",
];
const TYPES: [&str; 8] = ["\"text\"", "true", "[1, 2]", "{ a = 1 }", "1979-05-27", "[]", "{}", "\"\""];
const HOSTILE_IDS: [&str; 14] = [
    "\"../x\"",
    "\"../../etc/passwd\"",
    "\"/tmp/x\"",
    "\"a/b\"",
    "\"..\"",
    "\".\"",
    "\"\"",
    "\"x\\u001b[31m\"",
    "\"CON\"",
    "\"a\\nb\"",
    "\"-x\"",
    "\"ü\"",
    "\"h100-sxm\"",
    "\"trn2\"",
];
const ESCAPES: [&str; 4] = [
    "\"\\u001b]0;pwned\\u0007\\u001b[2J\\n\\r\\u009b31m\"",
    "\"line\\nbreak\\ttab\"",
    "\"\\u202eevil\\u202c\"",
    "'''\u{1b}[31mraw'''",
];
const HEADERS: [&str; 10] = [
    "[economics]",
    "[report]",
    "[[accelerator]]",
    "[[training]]",
    "[[inference]]",
    "[[measured]]",
    "[[calibration]]",
    "[accelerator.cloud]",
    "[x.y.z]",
    "[economics.owned]",
];
const SETS: [&str; 12] = [
    "economics={ basis = \"owned\" }",
    "economics.basis=owned",
    "report.title=\"\u{1b}[31mred\nline\"",
    "economics.pue=nan",
    "economics.pue=1e308",
    "report.monte_carlo.samples=0",
    "report.monte_carlo.samples=3",
    "accelerator.h100-sxm.power_w=-1",
    "accelerator.x={}",
    "report={}",
    "report.accelerators=[\"../x\"]",
    "training.dense-70b.params_b=1e300",
];

/// The value part of `key = value` lines: (start, end) byte ranges in `text`.
fn value_spans(text: &str, key_filter: impl Fn(&str) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(eq) = line.find('=') {
            let key = line[..eq].trim();
            if !key.starts_with('#') && !key.starts_with('[') && key_filter(key) {
                let body = line[eq + 1..].trim_end_matches(['\n', '\r']);
                let body = body.split(" #").next().unwrap_or(body);
                out.push((at + eq + 1, at + eq + 1 + body.len()));
            }
        }
        at += line.len();
    }
    out
}

fn replace_value(text: &[u8], rng: &mut ChaCha8Rng, filter: impl Fn(&str) -> bool, with: &str) -> Option<Vec<u8>> {
    let t = std::str::from_utf8(text).ok()?;
    let spans = value_spans(t, filter);
    let &(a, b) = spans.choose(rng)?;
    Some([&t.as_bytes()[..a], b" ", with.as_bytes(), &t.as_bytes()[b..]].concat())
}

fn mutate(text: &[u8], rng: &mut ChaCha8Rng) -> (Vec<u8>, &'static str) {
    let kind = rng.random_range(0..10);
    let fallback = |t: &[u8]| t.to_vec();
    match kind {
        0 => {
            let mut t = text.to_vec();
            for _ in 0..rng.random_range(1..4) {
                if t.is_empty() {
                    break;
                }
                let i = rng.random_range(0..t.len());
                match rng.random_range(0..4) {
                    0 => t[i] ^= 1 << rng.random_range(0..8),
                    1 => t.insert(
                        i,
                        *[0u8, 0x1b, b'"', b'[', b']', b'=', b'\n', b'{', b'}', b',', b'#', 0xff]
                            .choose(rng)
                            .unwrap_or(&0),
                    ),
                    2 => {
                        let j = (i + rng.random_range(1..40)).min(t.len());
                        t.drain(i..j);
                    }
                    _ => {
                        let j = (i + rng.random_range(1..80)).min(t.len());
                        let dup = t[i..j].to_vec();
                        t.splice(i..i, dup);
                    }
                }
            }
            (t, "bytes")
        }
        1 => {
            let with = EXTREMES.choose(rng).copied().unwrap_or("0");
            (
                replace_value(text, rng, |_| true, with).unwrap_or_else(|| fallback(text)),
                "extreme number",
            )
        }
        2 => {
            let with = TYPES.choose(rng).copied().unwrap_or("true");
            (replace_value(text, rng, |_| true, with).unwrap_or_else(|| fallback(text)), "type")
        }
        3 => {
            let with = HOSTILE_IDS.choose(rng).copied().unwrap_or("\"../x\"");
            let ids = |k: &str| {
                matches!(
                    k,
                    "id" | "workload" | "accelerator" | "reference" | "training_workload" | "inference_workload" | "tornado_accelerator"
                )
            };
            (replace_value(text, rng, ids, with).unwrap_or_else(|| fallback(text)), "hostile id")
        }
        4 => {
            let with = ESCAPES.choose(rng).copied().unwrap_or("\"\"");
            let strings = |k: &str| matches!(k, "name" | "source" | "title" | "notes" | "id" | "instance" | "as_of" | "basis");
            (
                replace_value(text, rng, strings, with).unwrap_or_else(|| fallback(text)),
                "escape sequence",
            )
        }
        5 | 6 => {
            let Ok(t) = std::str::from_utf8(text) else {
                return (fallback(text), "structure");
            };
            let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
            if lines.is_empty() {
                return (fallback(text), "structure");
            }
            let i = rng.random_range(0..lines.len());
            match rng.random_range(0..5) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                2 => {
                    let j = rng.random_range(0..lines.len());
                    lines.swap(i, j);
                }
                3 => lines.insert(i, HEADERS.choose(rng).copied().unwrap_or("[x]").to_string()),
                _ => {
                    // Duplicate a whole [[...]] block.
                    let starts: Vec<usize> = lines
                        .iter()
                        .enumerate()
                        .filter(|(_, l)| l.starts_with("[["))
                        .map(|(k, _)| k)
                        .collect();
                    if let Some(&s) = starts.choose(rng) {
                        let e = starts.iter().copied().find(|&k| k > s).unwrap_or(lines.len());
                        let block = lines[s..e].to_vec();
                        lines.extend(block);
                    }
                }
            }
            (lines.join("\n").into_bytes(), "structure")
        }
        7 => {
            let deep = rng.random_range(50..3000);
            let with = if rng.random_bool(0.5) {
                format!("{}1{}", "[".repeat(deep), "]".repeat(deep))
            } else {
                format!("{}1{}", "{ a = ".repeat(deep), " }".repeat(deep))
            };
            let mut t = text.to_vec();
            t.extend_from_slice(format!("\nnested = {with}\n").as_bytes());
            (t, "deep nesting")
        }
        8 => {
            let n = rng.random_range(1000..200_000);
            let mut t = text.to_vec();
            let line = if rng.random_bool(0.5) {
                format!("\n[report]\nbig = [{}]\n", vec!["1.5"; n].join(","))
            } else {
                (0..n / 4).map(|i| format!("k{i} = 1\n")).collect()
            };
            t.extend_from_slice(line.as_bytes());
            (t, "large input")
        }
        _ => {
            let m = "\n[[measured]]\nworkload = \"chat-70b\"\naccelerator = \"h100-sxm\"\noutput_tokens_per_s_per_chip = 1500\nsource = \"x\"\n";
            let mut t = text.to_vec();
            t.extend_from_slice(m.as_bytes());
            (t, "structure")
        }
    }
}

/// ids found in `[[kind]]` tables of the config files (best effort; mutated files may not parse).
fn ids(files: &[(PathBuf, Vec<u8>)], kind: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, bytes) in files {
        let Ok(t) = std::str::from_utf8(bytes) else { continue };
        let Ok(v) = t.parse::<toml::Table>() else { continue };
        if let Some(toml::Value::Array(items)) = v.get(kind) {
            for i in items {
                if let Some(toml::Value::String(id)) = i.get("id") {
                    out.push(id.clone());
                }
            }
        }
    }
    out
}

/// Every file below `dir` (symlinks not followed) with a fingerprint of its content, except
/// under `skip`.
fn tree(dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p == skip {
            continue;
        }
        let Ok(m) = fs::symlink_metadata(&p) else { continue };
        let sig = if m.is_symlink() {
            format!("link->{}", fs::read_link(&p).map(|t| t.display().to_string()).unwrap_or_default())
        } else if m.is_dir() {
            tree(&p, skip, out);
            "dir".into()
        } else {
            let bytes = fs::read(&p).unwrap_or_default();
            let h = bytes
                .iter()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
            format!("{} {h:x}", bytes.len())
        };
        out.insert(p, sig);
    }
}

struct Outcome {
    pid: u32,
    code: Option<i32>,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(bin: &Path, cwd: &Path, args: &[String]) -> std::io::Result<Outcome> {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Drain the pipes in threads so a chatty child never blocks.
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let t1 = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(s) = so.as_mut() {
            let _ = std::io::Read::read_to_end(s, &mut b);
        }
        b
    });
    let t2 = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(s) = se.as_mut() {
            let _ = std::io::Read::read_to_end(s, &mut b);
        }
        b
    });
    let pid = child.id();
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Outcome {
        pid,
        code: status.code(),
        timed_out,
        stdout: t1.join().unwrap_or_default(),
        stderr: t2.join().unwrap_or_default(),
    })
}

fn has_raw_control(b: &[u8]) -> bool {
    let t = String::from_utf8_lossy(b);
    t.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

fn main() {
    let o = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if !o.bin.is_file() {
        eprintln!("error: {} not found; run `cargo build --release` first", o.bin.display());
        std::process::exit(2);
    }
    let bin = fs::canonicalize(&o.bin).unwrap_or(o.bin.clone());
    let seeds = seeds();
    if seeds.is_empty() {
        eprintln!("error: no configs found; run from the project folder");
        std::process::exit(2);
    }
    let _ = fs::create_dir_all(&o.out);
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let deadline = Instant::now() + Duration::from_secs_f64(o.minutes * 60.0);
    let (mut configs, mut commands, mut findings) = (0u64, 0u64, 0u64);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut mutations: BTreeMap<&str, u64> = BTreeMap::new();
    let mut last_pid = 0u32;
    while Instant::now() < deadline {
        let Ok(sandbox) = tempfile::tempdir() else { break };
        let sb = sandbox.path();
        let cfg = sb.join("cfg");
        let out = sb.join("out");
        let mut files = seeds.choose(&mut rng).cloned().unwrap_or_default();
        for _ in 0..rng.random_range(1..=3) {
            let k = rng.random_range(0..files.len());
            for _ in 0..rng.random_range(1..=4) {
                let (t, m) = mutate(&files[k].1, &mut rng);
                files[k].1 = t;
                *mutations.entry(m).or_default() += 1;
            }
        }
        for (rel, bytes) in &files {
            let p = cfg.join(rel);
            if let Some(parent) = p.parent() {
                let _ = fs::create_dir_all(parent);
            }
            let _ = fs::write(&p, bytes);
        }
        // A file outside -o, and links to it where outputs and old temp files go.
        let victim = sb.join("victim.txt");
        let _ = fs::write(&victim, b"must not change");
        let _ = fs::create_dir_all(&out);
        #[cfg(unix)]
        for name in [
            "summary.json",
            "tornado.png",
            ".accel-cost-manifest",
            ".report.md.tmp-1.md",
            "headline-cost-vs-reference.csv",
        ] {
            if rng.random_bool(0.3) {
                let _ = std::os::unix::fs::symlink(&victim, out.join(name));
            }
        }
        configs += 1;
        let trainings = ids(&files, "training");
        let inferences = ids(&files, "inference");
        let accs = ids(&files, "accelerator");
        let pick = |v: &[String], rng: &mut ChaCha8Rng| v.choose(rng).cloned().unwrap_or_else(|| "dense-70b".into());
        let workload = if rng.random_bool(0.5) {
            pick(&trainings, &mut rng)
        } else {
            pick(&inferences, &mut rng)
        };
        let acc = pick(&accs, &mut rng);
        let mut base = vec!["-c".to_string(), "cfg".to_string()];
        if rng.random_bool(0.25) {
            base.extend(["--set".to_string(), SETS.choose(&mut rng).copied().unwrap_or("").to_string()]);
        }
        let fmt = if rng.random_bool(0.3) { "png" } else { "svg" };
        let cmds: Vec<(Vec<&str>, bool)> = vec![
            (vec!["validate"], false),
            (vec!["compare"], false),
            (vec!["compare", "--format", "json"], true),
            (vec!["estimate", "--workload", &workload, "--json"], true),
            (vec!["explain", "--workload", &workload, "--accelerator", &acc], false),
            (vec!["calibrate", "--json"], true),
            (vec!["report", "-o", "out", "--format", fmt], false),
        ];
        let mut before = BTreeMap::new();
        tree(sb, &out, &mut before);
        for (cmd, json) in cmds {
            let args: Vec<String> = cmd.iter().map(|s| s.to_string()).chain(base.iter().cloned()).collect();
            // Temp names a writer might predict from its pid: `.<name>.tmp-<pid>.<ext>`; pids
            // are handed out in order, so the next child's is likely just above the last one's.
            #[cfg(unix)]
            if cmd[0] == "report" {
                for p in last_pid + 1..=last_pid + 40 {
                    let _ = std::os::unix::fs::symlink(&victim, out.join(format!(".summary.json.tmp-{p}.json")));
                    let _ = std::os::unix::fs::symlink(&victim, out.join(format!(".report.md.tmp-{p}.md")));
                }
            }
            commands += 1;
            let r = match run(&bin, sb, &args) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot run {}: {e}", bin.display());
                    std::process::exit(1);
                }
            };
            last_pid = r.pid;
            let err = String::from_utf8_lossy(&r.stderr);
            let mut found = Vec::new();
            if r.timed_out {
                found.push("timeout".to_string());
            } else if r.code == Some(101) || err.contains("panicked") {
                found.push("panic".to_string());
            } else if !matches!(r.code, Some(0..=2)) {
                found.push(format!("exit code {:?}", r.code));
            }
            if json && r.code == Some(0) && serde_json::from_slice::<serde_json::Value>(&r.stdout).is_err() {
                found.push("unparseable JSON".into());
            }
            if has_raw_control(&r.stdout) || has_raw_control(&r.stderr) {
                found.push("raw control character".into());
            }
            let mut after = BTreeMap::new();
            tree(sb, &out, &mut after);
            if after != before {
                found.push("write outside -o".into());
                before = after;
            }
            for f in found {
                findings += 1;
                *kinds.entry(f.clone()).or_default() += 1;
                let dir = o.out.join(format!("{findings:04}-{}", f.replace(' ', "-")));
                let _ = fs::create_dir_all(&dir);
                for (rel, bytes) in &files {
                    let p = dir.join("cfg").join(rel);
                    if let Some(parent) = p.parent() {
                        let _ = fs::create_dir_all(parent);
                    }
                    let _ = fs::write(&p, bytes);
                }
                let _ = fs::write(dir.join("cmd.txt"), format!("{f}\naccel-cost {}\n", args.join(" ")));
                let _ = fs::write(dir.join("stderr.txt"), &r.stderr);
                eprintln!(
                    "finding {findings}: {f}: accel-cost {} (saved in {})",
                    args.join(" "),
                    dir.display()
                );
            }
        }
    }
    println!("configs: {configs}  commands: {commands}  findings: {findings}");
    for (k, n) in &kinds {
        println!("  {k}: {n}");
    }
    println!("mutations applied:");
    for (k, n) in &mutations {
        println!("  {k}: {n}");
    }
    println!(
        "rerun: cargo build --release && nice cargo run --release --example fuzz -- --minutes {} --seed {}",
        o.minutes, o.seed
    );
    if findings > 0 {
        std::process::exit(1);
    }
}
