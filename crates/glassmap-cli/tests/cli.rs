//! Runs the `glassmap` binary: every subcommand on small inputs, the report files, Go's growth points, and every
//! kind of bad input (exit status 2, one line naming the problem, no panic).
//!
//! Sizes are tiny so the suite stays within a few seconds on a 2-core CI machine in a debug build; the real
//! benchmark is not a test.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::cargo::{cargo_bin, cargo_bin_cmd};
use tempfile::TempDir;

fn glassmap() -> Command {
    let mut cmd = cargo_bin_cmd!("glassmap");
    cmd.env_remove("NO_COLOR").timeout(Duration::from_secs(120));
    cmd
}

/// Runs `args` in `dir`, expects success, returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = glassmap().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "glassmap {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `args` in `dir`, expects exit status 2 and a one-line message containing `needle`.
fn bad_input(dir: &Path, args: &[&str], needle: &str) {
    let out = glassmap().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "glassmap {args:?}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "glassmap {args:?} printed more than one line: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(needle),
        "glassmap {args:?}: expected '{needle}' in: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path)
        .unwrap()
        .starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_svg(path: &Path) -> bool {
    std::fs::read_to_string(path).unwrap().contains("<svg")
}

#[test]
fn without_a_subcommand_prints_help() {
    let tmp = TempDir::new().unwrap();
    let help = ok(tmp.path(), &[]);
    for word in ["bench", "inspect", "trace", "Examples:"] {
        assert!(help.contains(word), "{help}");
    }
}

#[test]
fn every_subcommand_has_help_with_examples() {
    let tmp = TempDir::new().unwrap();
    for sub in ["bench", "inspect", "trace", "stress"] {
        let help = ok(tmp.path(), &[sub, "--help"]);
        assert!(help.contains("Examples:"), "{sub}: {help}");
        assert!(help.contains(&format!("glassmap {sub}")), "{sub}: {help}");
    }
}

const TINY_BENCH: &[&str] = &[
    "bench",
    "--single",
    "--sizes",
    "500,2000",
    "--latency-n",
    "3000",
    "--reps",
    "1",
    "--min-ops",
    "2000",
    "--out",
    "report",
];

#[test]
fn bench_prints_tables_and_writes_a_report_that_parses() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(tmp.path(), TINY_BENCH);
    assert!(
        stdout.contains("ns/op (ratio to hashbrown), n = 500"),
        "{stdout}"
    );
    assert!(stdout.contains("per-insert latency"), "{stdout}");
    assert!(stdout.contains("p99.99"), "{stdout}");

    let dir = tmp.path().join("report");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let throughput = json["throughput"].as_array().unwrap();
    assert_eq!(
        throughput.len(),
        4 * 9 * 2,
        "4 maps x 9 throughput workloads x 2 sizes"
    );
    for row in throughput {
        assert!(row["ns_per_op"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["ratio_to_hashbrown"].as_f64().unwrap() > 0.0, "{row}");
    }
    let latency = json["latency"].as_array().unwrap();
    let maps: Vec<&str> = latency.iter().map(|r| r["map"].as_str().unwrap()).collect();
    assert_eq!(maps, ["glassmap", "hashbrown", "std", "griddle"]);
    for row in latency {
        assert!(
            row["p50_ns"].as_u64().unwrap() <= row["max_ns"].as_u64().unwrap(),
            "{row}"
        );
        let window = row["window"].as_u64().unwrap();
        assert_eq!(
            row["window_max_ns"].as_array().unwrap().len() as u64,
            3000u64.div_ceil(window)
        );
    }
    assert!(json["machine"]["cpu"].is_string());

    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let widths: Vec<usize> = csv.lines().map(|l| l.split(',').count()).collect();
    assert_eq!(
        widths.len(),
        1 + 4 * 9 * 2 + 4,
        "header, throughput rows, latency rows: {csv}"
    );
    assert!(widths.iter().all(|&w| w == widths[0]), "{csv}");

    for picture in ["latency", "throughput"] {
        assert!(is_png(&dir.join(format!("{picture}.png"))), "{picture}.png");
        assert!(is_svg(&dir.join(format!("{picture}.svg"))), "{picture}.svg");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bench_json_goes_to_stdout_and_filters_apply() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &[
            "bench",
            "--single",
            "--json",
            "--maps",
            "glassmap,hashbrown",
            "--workloads",
            "hit,latency",
            "--sizes",
            "1000",
            "--latency-n",
            "2000",
            "--reps",
            "3",
            "--min-ops",
            "1000",
            "--hasher",
            "fx",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["config"]["hasher"], "fx");
    assert_eq!(json["throughput"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["throughput"][0]["samples"].as_array().unwrap().len(),
        3
    );
    assert_eq!(json["latency"].as_array().unwrap().len(), 2);
    assert!(tmp.path().join("glassmap-report/results.json").exists());
}

/// `bench` takes each measurement in a process of its own (the hidden `measure` subcommand) unless told
/// `--in-process`; both ways report every row and say which way they ran.
#[test]
fn bench_measures_in_child_processes_unless_told_otherwise() {
    let tmp = TempDir::new().unwrap();
    let common = [
        "bench",
        "--single",
        "--json",
        "--maps",
        "glassmap,hashbrown",
        "--workloads",
        "insert,remove,latency",
        "--sizes",
        "1000",
        "--latency-n",
        "2000",
        "--reps",
        "2",
        "--min-ops",
        "1000",
    ];
    for (extra, in_process) in [(None, false), (Some("--in-process"), true)] {
        let args: Vec<&str> = common.iter().copied().chain(extra).collect();
        let json: serde_json::Value = serde_json::from_str(&ok(tmp.path(), &args)).unwrap();
        assert_eq!(json["config"]["in_process"], in_process, "{args:?}");
        let rows = json["throughput"].as_array().unwrap();
        assert_eq!(rows.len(), 4, "{args:?}");
        assert!(
            rows.iter()
                .all(|r| r["samples"].as_array().unwrap().len() == 2),
            "{args:?}"
        );
        let latency = json["latency"].as_array().unwrap();
        let maps: Vec<&str> = latency.iter().map(|r| r["map"].as_str().unwrap()).collect();
        assert_eq!(maps, ["glassmap", "hashbrown"], "{args:?}");
    }
}

/// What a measurement process prints: one JSON value, the timed samples (warm-up dropped) or the latency row.
#[test]
fn measure_prints_one_measurement_as_json() {
    let tmp = TempDir::new().unwrap();
    let measure = |workload: &str, n: &str| -> serde_json::Value {
        let args = [
            "measure",
            "--map",
            "hashbrown",
            "--workload",
            workload,
            "--n",
            n,
            "--reps",
            "3",
            "--hasher",
            "default",
            "--seed",
            "7",
            "--min-ops",
            "1000",
        ];
        serde_json::from_str(&ok(tmp.path(), &args)).unwrap()
    };
    let hit = measure("hit", "1000");
    let samples = hit["Throughput"].as_array().unwrap();
    assert_eq!(samples.len(), 3);
    assert!(samples.iter().all(|s| s.as_f64().unwrap() > 0.0));
    let latency = measure("latency", "500");
    assert_eq!(latency["Latency"]["n"], 500);
    assert_eq!(latency["Latency"]["map"], "hashbrown");
    bad_input(
        tmp.path(),
        &["measure", "--map", "btree", "--workload", "hit", "--n", "1"],
        "unknown map 'btree'",
    );
}

#[test]
fn ctrl_c_during_bench_keeps_what_was_measured() {
    let tmp = TempDir::new().unwrap();
    let child = StdCommand::new(cargo_bin!("glassmap"))
        .current_dir(tmp.path())
        .args([
            "bench",
            "--sizes",
            "1000,1M",
            "--reps",
            "100",
            "--min-ops",
            "1000",
            "--out",
            "report",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    let killed = StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted; what was measured before is kept above"),
        "{stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("report/results.json")).unwrap())
            .unwrap();
    let rows = json["throughput"].as_array().unwrap();
    assert!(
        !rows.is_empty(),
        "the n = 1000 rows finished within three seconds"
    );
    assert!(
        rows.iter().all(|r| r["n"] == 1000),
        "nothing of the interrupted size is reported"
    );
}

#[test]
fn bench_concurrent_runs_every_mix_and_map_and_draws_both_pictures() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &[
            "bench",
            "--concurrent",
            "--threads",
            "1,2",
            "--capacity",
            "2000",
            "--ops",
            "4000",
            "--grow-to",
            "3000",
            "--out",
            "report",
        ],
    );
    for mix in [
        "read-heavy",
        "read-heavy-zipf",
        "exchange",
        "rapid-grow",
        "true-grow",
    ] {
        assert!(stdout.contains(&format!("\n{mix}: ")), "{mix}: {stdout}");
    }
    assert!(stdout.contains("(1.00x)"), "ratios to dashmap: {stdout}");
    assert!(
        !stdout.contains("ns/op (ratio to hashbrown)"),
        "--concurrent runs no single-threaded map"
    );
    let report = tmp.path().join("report");
    for name in ["concurrent-throughput", "concurrent-latency"] {
        assert!(is_png(&report.join(format!("{name}.png"))), "{name}");
        assert!(is_svg(&report.join(format!("{name}.svg"))), "{name}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("results.json")).unwrap()).unwrap();
    let rows = json["concurrent"]["rows"].as_array().unwrap();
    let maps = json["concurrent"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mix"] == "exchange" && r["threads"] == 2)
        .count();
    assert!(maps >= 4, "every map ran exchange at 2 threads");
    for row in rows {
        assert!(row["mops"].as_f64().unwrap() > 0.0);
        assert!(!row["latency"].as_array().unwrap().is_empty());
    }
    let csv = std::fs::read_to_string(report.join("concurrent.csv")).unwrap();
    assert!(csv.starts_with("map,mix,threads,mops"));
}

/// Go's growth points for a map built without a hint: the insert that starts each doubling.
const GO_GROWTH_POINTS: [u64; 9] = [9, 14, 27, 53, 105, 209, 417, 833, 1665];

/// Insert numbers of the event lines (lines starting with a number).
fn event_inserts(stdout: &str) -> Vec<u64> {
    stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn trace_starts_with_go_growth_points() {
    let tmp = TempDir::new().unwrap();
    for gen_args in [
        &["--gen", "uniform"][..],
        &["--gen", "sequential", "--hasher", "sip"],
    ] {
        let mut args = vec!["trace", "--n", "2000"];
        args.extend_from_slice(gen_args);
        let stdout = ok(tmp.path(), &args);
        assert_eq!(event_inserts(&stdout), GO_GROWTH_POINTS, "{stdout}");
        assert!(stdout.contains("0 -> 1"), "{stdout}");
        assert!(stdout.contains("doubling"), "{stdout}");
    }
}

#[test]
fn trace_with_a_capacity_hint_grows_later() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(tmp.path(), &["trace", "--n", "2000", "--capacity", "1000"]);
    // 1000 entries need B = 8 (capacity 13 * 2^7 = 1664): the first doubling starts at insert 1665.
    assert_eq!(event_inserts(&stdout), [1665], "{stdout}");
}

#[test]
fn trace_churn_shows_same_size_growth_and_plots() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &[
            "trace", "--churn", "--n", "20000", "--live", "200", "--plot", "--out", "r",
        ],
    );
    assert!(stdout.contains("same-size"), "{stdout}");
    assert!(is_png(&tmp.path().join("r/timeline.png")));
    assert!(is_svg(&tmp.path().join("r/timeline.svg")));
}

#[test]
fn inspect_passes_a_good_hash_and_draws_the_heat_map() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &["inspect", "--n", "20000", "--color", "always", "--out", "r"],
    );
    assert!(stdout.contains("len 20000"), "Stats are printed: {stdout}");
    assert!(stdout.contains("chi-square = "), "{stdout}");
    assert!(stdout.contains("verdict: uniform"), "{stdout}");
    assert!(
        stdout.contains("\x1b[38;2;") && stdout.contains('▀'),
        "terminal heat map: {stdout}"
    );
    assert!(is_png(&tmp.path().join("r/heatmap.png")));
    assert!(is_svg(&tmp.path().join("r/heatmap.svg")));
}

#[test]
fn inspect_fails_a_weak_hash() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &[
            "inspect",
            "--gen",
            "strided:64",
            "--hasher",
            "identity",
            "--n",
            "20000",
        ],
    );
    let verdict = stdout.lines().find(|l| l.starts_with("verdict: ")).unwrap();
    assert!(
        verdict.starts_with("verdict: skewed: 90% of entries in 1."),
        "{verdict}"
    );
    assert!(verdict.contains("p < 1e-300"), "{verdict}");
    assert!(
        !stdout.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn inspect_and_trace_read_key_files() {
    let tmp = TempDir::new().unwrap();
    let ints: String = (0..3000u64).map(|i| format!("{}\n", i * 7919)).collect();
    std::fs::write(tmp.path().join("ints.txt"), ints).unwrap();
    let words: String = (0..3000).map(|i| format!("user-{i:05}\r\n")).collect();
    std::fs::write(tmp.path().join("words.txt"), words).unwrap();

    let stdout = ok(tmp.path(), &["inspect", "--keys", "ints.txt"]);
    assert!(stdout.contains("ints.txt (3,000 integer keys)"), "{stdout}");
    let stdout = ok(
        tmp.path(),
        &["inspect", "--keys", "words.txt", "--hasher", "sip"],
    );
    assert!(stdout.contains("words.txt (3,000 string keys)"), "{stdout}");
    assert!(stdout.contains("len 3000"), "{stdout}");
    let stdout = ok(tmp.path(), &["trace", "--keys", "words.txt"]);
    assert_eq!(
        event_inserts(&stdout)[..8],
        GO_GROWTH_POINTS[..8],
        "{stdout}"
    );
}

#[test]
fn stress_passes_every_glassmap_map_and_catches_the_control() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &[
            "stress",
            "--map",
            "all",
            "--ops",
            "20k",
            "--history",
            "2000",
        ],
    );
    for map in ["sharded", "sync", "snapshot", "batch"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(map))
            .unwrap_or_else(|| panic!("{map}: {stdout}"));
        assert!(
            line.ends_with("linearizable") && !line.contains("NOT"),
            "{line}"
        );
    }
    assert!(
        stdout.contains("not linearizable, as expected of the control"),
        "{stdout}"
    );
    let growths: Vec<u64> = stdout
        .lines()
        .filter(|l| l.starts_with("sharded") || l.starts_with("snapshot"))
        .map(|l| {
            l.split_whitespace()
                .nth(3)
                .unwrap()
                .replace(',', "")
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        growths.iter().all(|&g| g > 0),
        "the maps grew during the histories: {stdout}"
    );
}

#[test]
fn stress_catches_the_stale_control_and_prints_the_failing_history() {
    let tmp = TempDir::new().unwrap();
    let stdout = ok(
        tmp.path(),
        &[
            "stress",
            "--map",
            "stale",
            "--ops",
            "20k",
            "--history",
            "2000",
        ],
    );
    assert!(
        stdout.contains("not linearizable, as expected of the control"),
        "{stdout}"
    );
    assert!(
        stdout.contains("<- no order explains this result"),
        "{stdout}"
    );
    // The history shown is one key's: every line names a call with its tickets.
    assert!(stdout.contains("Read { returned:"), "{stdout}");
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_problem() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("bad.txt"), "1\n2\nthree\n").unwrap();
    std::fs::write(dir.join("empty.txt"), "").unwrap();
    std::fs::write(dir.join("latin1.txt"), b"caf\xe9\n").unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();

    bad_input(
        dir,
        &["inspect", "--keys", "missing.txt"],
        "cannot read key file missing.txt: no such file",
    );
    bad_input(
        dir,
        &["trace", "--keys", "folder"],
        "cannot read key file folder",
    );
    bad_input(
        dir,
        &["inspect", "--keys", "bad.txt"],
        "bad.txt:3: 'three' is not an unsigned 64-bit integer",
    );
    bad_input(
        dir,
        &["trace", "--keys", "bad.txt", "--key-type", "int"],
        "bad.txt:3:",
    );
    bad_input(
        dir,
        &["inspect", "--keys", "latin1.txt", "--key-type", "string"],
        "latin1.txt:1: not valid UTF-8",
    );
    bad_input(
        dir,
        &["inspect", "--keys", "empty.txt"],
        "empty.txt: no keys",
    );
    bad_input(
        dir,
        &["inspect", "--gen", "zipf"],
        "unknown generator 'zipf'",
    );
    bad_input(dir, &["trace", "--gen", "strided:0"], "'0' in 'strided:0'");
    bad_input(
        dir,
        &["inspect", "--hasher", "md5"],
        "invalid value 'md5' for '--hasher",
    );
    bad_input(
        dir,
        &["bench", "--hasher", "md5"],
        "invalid value 'md5' for '--hasher",
    );
    bad_input(dir, &["inspect", "--n", "0"], "must be at least 1");
    bad_input(dir, &["trace", "--n", "0"], "must be at least 1");
    bad_input(dir, &["trace", "--n", "5G"], "too large");
    bad_input(dir, &["inspect", "--n", "lots"], "'lots' is not a count");
    bad_input(dir, &["bench", "--sizes", "1000,0"], "must be at least 1");
    bad_input(dir, &["bench", "--latency-n", "999999999999"], "too large");
    bad_input(
        dir,
        &["bench", "--maps", "glassmap,btree"],
        "unknown map 'btree'",
    );
    bad_input(
        dir,
        &["bench", "--workloads", "zigzag"],
        "unknown workload 'zigzag'",
    );
    bad_input(
        dir,
        &["inspect", "--keys", "bad.txt", "--gen", "uniform"],
        "cannot be used with",
    );
    bad_input(dir, &["frobnicate"], "unrecognized subcommand 'frobnicate'");
    bad_input(
        dir,
        &["stress", "--map", "hashbrown"],
        "unknown map 'hashbrown'",
    );
    bad_input(dir, &["stress", "--threads", "0"], "0 is not in 1..=64");
    bad_input(
        dir,
        &["stress", "--seconds", "0"],
        "not a number of seconds",
    );
    bad_input(
        dir,
        &["stress", "--ops", "10", "--seconds", "1"],
        "cannot be used with",
    );
    bad_input(dir, &["stress", "--keys", "0"], "--keys");
    bad_input(dir, &["stress", "--seed", "0xzz"], "--seed");
    assert!(
        !dir.join("glassmap-report").exists(),
        "bad input writes nothing"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let tmp = TempDir::new().unwrap();
    let mut child = StdCommand::new(cargo_bin!("glassmap"))
        .current_dir(tmp.path())
        .args(["trace", "--churn", "--n", "400000", "--live", "26"]) // about 150 KB: more than a pipe holds
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("glassmap trace"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
