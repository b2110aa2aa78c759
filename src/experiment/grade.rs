//! Grading: a suite of tests a teacher writes (which scenarios, which seeds, which checks
//! must pass, how many points), run against a protocol and scored.
//!
//! A suite is a JSON file ([`Suite`]): a list of [`Test`]s, each naming a scenario file
//! (relative to the suite file), its seeds, the [`Check`]s every seed must pass, its points,
//! and a title and hint shown to the student. A test earns its points only if every one of
//! its seeds passes every one of its checks (a protocol that is right on nine seeds out of
//! ten is wrong). The suite may name the protocol to grade (`"protocol": "student"`); it
//! then replaces the `cluster.protocol` of each scenario, so one set of scenarios grades any
//! registered protocol.
//!
//! Every `(test, seed)` is an ordinary run ([`crate::runner::run`]): the same code path as
//! `eightfold run` and `sweep`, with the process's protocol registry, so a user's own binary
//! ([`crate::cli::main_with`]) grades its own protocol. Runs are spread over a pool of
//! threads; results are put back in suite order, so the same suite gives the same table
//! whatever the number of threads. A run that panics is a failure with the pseudo-check
//! `panic` (protocol code under test panics; that is a finding, not a crash of the grader).
//!
//! This module holds the pure parts (reading a suite, judging a run, scoring);
//! `eightfold grade` (in the CLI) loads the scenarios, writes the report and the shrunk
//! scenario of each failing test, and prints the table.

use std::collections::BTreeSet;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::seeds::SeedRange;
use super::sweep::panic_message;
use crate::check::Status;
use crate::report::Outcome;
use crate::runner::{self, RunError, RunOptions};
use crate::scenario::Scenario;

/// The most seeds one test may list.
pub const MAX_SEEDS_PER_TEST: u64 = 10_000;

/// The largest suite file accepted.
pub const MAX_SUITE_BYTES: u64 = 1 << 20;

/// A check a test can require, by the name the runner gives its verdict in `outcome.json`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The clients' history is linearizable (key-value runs).
    Linearizable,
    /// The protocol's declared invariants held at every step (key-value runs).
    Invariants,
    /// Every client made progress within the liveness bound once the faults healed
    /// (key-value runs).
    Liveness,
    /// Every live server learned every value (broadcast runs).
    Convergence,
    /// The run stayed within its event budget (every run).
    EventBudget,
}

impl Check {
    /// Every check, in the order their names sort.
    pub const ALL: [Check; 5] =
        [Check::Convergence, Check::EventBudget, Check::Invariants, Check::Linearizable, Check::Liveness];

    /// The check's name, as `outcome.json` and the suite file write it.
    pub fn name(self) -> &'static str {
        match self {
            Check::Linearizable => "linearizable",
            Check::Invariants => "invariants",
            Check::Liveness => "liveness",
            Check::Convergence => "convergence",
            Check::EventBudget => eightfold_sim::world::BUDGET_CHECK,
        }
    }

    /// Whether a run of a key-value protocol (`true`) or of a broadcast one (`false`) has
    /// this check.
    pub fn judges(self, key_value: bool) -> bool {
        match self {
            Check::Linearizable | Check::Invariants | Check::Liveness => key_value,
            Check::Convergence => !key_value,
            Check::EventBudget => true,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The seeds of a test, in the order written: a list (`[1, 7, 42]`), a range
/// (`"1..20"`, inclusive) or `{"first": 1, "count": 20}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Seeds(pub Vec<u64>);

impl<'de> Deserialize<'de> for Seeds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Seeds, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Seeds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a list of seeds ([1, 2, 3]), a range ("1..20") or {"first": 1, "count": 20}"#)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seeds, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<u64>()? {
                    if out.contains(&s) {
                        return Err(de::Error::custom(format!("seed {s} is listed twice")));
                    }
                    if out.len() as u64 >= MAX_SEEDS_PER_TEST {
                        return Err(de::Error::custom(format!("more than {MAX_SEEDS_PER_TEST} seeds")));
                    }
                    out.push(s);
                }
                Ok(Seeds(out))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Seeds, E> {
                let r: SeedRange = v.parse().map_err(|e: super::seeds::SeedsError| {
                    E::custom(e.to_string().trim_start_matches("--seeds: ").to_string())
                })?;
                range(r.first, r.len())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seeds, A::Error> {
                let (mut first, mut count) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "first" => first = Some(map.next_value::<u64>()?),
                        "count" => count = Some(map.next_value::<u64>()?),
                        other => return Err(de::Error::unknown_field(other, &["first", "count"])),
                    }
                }
                let first = first.ok_or_else(|| de::Error::missing_field("first"))?;
                let count = count.ok_or_else(|| de::Error::missing_field("count"))?;
                range(first, count)
            }
        }
        d.deserialize_any(V)
    }
}

/// The seeds `first, first + 1, …` (`count` of them).
fn range<E: de::Error>(first: u64, count: u64) -> Result<Seeds, E> {
    if count > MAX_SEEDS_PER_TEST {
        return Err(E::custom(format!("{count} seeds is more than the limit of {MAX_SEEDS_PER_TEST}")));
    }
    if first.checked_add(count).is_none() {
        return Err(E::custom("the range runs past the largest seed"));
    }
    Ok(Seeds((first..first + count).collect()))
}

/// One graded test: a scenario, its seeds, the checks each seed must pass.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// A short name, unique in the suite: letters, digits, `-`, `_` and `.` (it names the
    /// test's directory of reports).
    pub name: String,
    /// What the test shows, in a line the student reads.
    pub title: String,
    /// What to look at when it fails (the exercise, the rule, the paper's section).
    #[serde(default)]
    pub hint: String,
    /// The scenario file, relative to the suite file.
    pub scenario: PathBuf,
    /// The seeds to run.
    pub seeds: Seeds,
    /// The checks every seed must pass.
    pub checks: Vec<Check>,
    /// The points the test is worth (all or nothing).
    pub points: u32,
}

/// A graded suite, as a teacher writes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The suite's title.
    #[serde(default)]
    pub title: String,
    /// The protocol to grade: replaces each scenario's `cluster.protocol` (absent: each
    /// scenario runs the protocol it names).
    #[serde(default)]
    pub protocol: Option<String>,
    /// The tests, in the order the table lists them.
    pub tests: Vec<Test>,
}

/// Why a suite file cannot be graded: bad input (exit code 2), naming the field.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SuiteError {
    /// The file cannot be read.
    #[error("{file}: {reason}")]
    Io {
        /// The suite file.
        file: String,
        /// Why not.
        reason: String,
    },
    /// The file does not read as a suite.
    #[error("{file}: {path}: {message}{}", .line.map(|(l, c)| format!(" (line {l}, column {c})")).unwrap_or_default())]
    Invalid {
        /// The suite file.
        file: String,
        /// The field (`tests[2].checks[0]`), `(file)` for a syntax error.
        path: String,
        /// What is wrong.
        message: String,
        /// Where, if the JSON reader knows.
        line: Option<(usize, usize)>,
    },
}

impl Suite {
    /// Reads and checks a suite file.
    pub fn read(path: &Path) -> Result<Suite, SuiteError> {
        let file = path.display().to_string();
        let io = |reason: String| SuiteError::Io { file: file.clone(), reason };
        let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
        if meta.len() > MAX_SUITE_BYTES {
            return Err(io(format!("the file is {} bytes; the limit is {MAX_SUITE_BYTES}", meta.len())));
        }
        let text = std::fs::read_to_string(path).map_err(|e| io(e.to_string()))?;
        Suite::parse(&text, &file)
    }

    /// Parses and checks suite text (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<Suite, SuiteError> {
        let invalid = |path: String, message: String| SuiteError::Invalid {
            file: file.to_string(),
            path,
            message,
            line: None,
        };
        let de = &mut serde_json::Deserializer::from_str(text);
        let suite: Suite = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let syntax = inner.is_syntax() || inner.is_eof();
            let message = inner.to_string();
            let suffix = format!(" at line {} column {}", inner.line(), inner.column());
            let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
            SuiteError::Invalid {
                file: file.to_string(),
                path: if syntax {
                    "(file)".into()
                } else if path == "." {
                    "(top level)".into()
                } else {
                    path
                },
                message: if syntax { format!("not valid JSON: {message}") } else { message },
                line: (inner.line() > 0).then(|| (inner.line(), inner.column())),
            }
        })?;
        if suite.tests.is_empty() {
            return Err(invalid("tests".into(), "a suite needs at least one test".into()));
        }
        if let Some(p) = &suite.protocol
            && p.trim().is_empty()
        {
            return Err(invalid(
                "protocol".into(),
                "empty; name a registered protocol or leave it out".into(),
            ));
        }
        let mut names = BTreeSet::new();
        for (i, t) in suite.tests.iter().enumerate() {
            let at = |field: &str| format!("tests[{i}].{field}");
            if t.name.is_empty()
                || !t.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                || t.name.starts_with('.')
                || t.name == "grade.json"
            {
                return Err(invalid(
                    at("name"),
                    format!("{:?}: use letters, digits, '-', '_' and '.' (it names a directory)", t.name),
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(invalid(at("name"), format!("{:?} names two tests", t.name)));
            }
            if t.title.trim().is_empty() {
                return Err(invalid(at("title"), "empty; say what the test shows".into()));
            }
            if t.scenario.as_os_str().is_empty() {
                return Err(invalid(at("scenario"), "empty; name a scenario file".into()));
            }
            if t.seeds.0.is_empty() {
                return Err(invalid(at("seeds"), "no seed to run".into()));
            }
            if t.checks.is_empty() {
                return Err(invalid(at("checks"), "no check to pass; name at least one".into()));
            }
            let mut seen = BTreeSet::new();
            for (j, c) in t.checks.iter().enumerate() {
                if !seen.insert(*c) {
                    return Err(invalid(format!("tests[{i}].checks[{j}]"), format!("`{c}` is listed twice")));
                }
            }
        }
        Ok(suite)
    }

    /// The total of every test's points.
    pub fn points(&self) -> u64 {
        self.tests.iter().map(|t| u64::from(t.points)).sum()
    }
}

/// The scenario file of a test: its path relative to the suite file's directory (an
/// absolute path as written).
pub fn scenario_path(suite_file: &Path, test: &Test) -> PathBuf {
    if test.scenario.is_absolute() {
        return test.scenario.clone();
    }
    let dir = suite_file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.join(&test.scenario)
}

/// Why a seed of a test did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeedFailure {
    /// The check that did not pass (a required one, the check that stopped the run before
    /// a required one could judge, or `panic`).
    pub check: String,
    /// What it found.
    pub detail: String,
}

/// The pseudo-check of a run that panicked.
pub const PANIC: &str = "panic";

/// Judges one run against a test's required checks, in the order the test lists them: the
/// first that did not pass (failed, or could not decide within its budget). A required
/// check a run does not have because a check stopped the run early is reported as that
/// stopping check; the event budget, which has a verdict only when it ran out, passes
/// when it has none.
pub fn judge(outcome: &Outcome, required: &[Check]) -> Option<SeedFailure> {
    for c in required {
        match outcome.checks.get(c.name()) {
            Some(r) if r.status == Status::Pass => {}
            Some(r) if r.status == Status::Unknown => {
                return Some(SeedFailure {
                    check: c.name().into(),
                    detail: format!("could not decide within its budget: {}", r.detail),
                });
            }
            Some(r) => return Some(SeedFailure { check: c.name().into(), detail: r.detail.clone() }),
            // The event budget has a verdict only when it ran out (and stopped the run).
            None if *c == Check::EventBudget => {}
            None => {
                return Some(match &outcome.halted {
                    Some(h) => SeedFailure {
                        check: h.check.clone(),
                        detail: format!("at {} on {}: {} (the run stopped there)", h.at, h.node, h.detail),
                    },
                    None => {
                        SeedFailure { check: c.name().into(), detail: "the run has no such verdict".into() }
                    }
                });
            }
        }
    }
    None
}

/// One run to grade: a test's scenario (loaded, protocol set) and one of its seeds.
pub struct Job<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The seed.
    pub seed: u64,
    /// The checks it must pass.
    pub checks: &'a [Check],
}

/// The result of one graded run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Why it did not pass (`None`: it passed).
    pub failure: Option<SeedFailure>,
    /// The run's digest (empty if it panicked).
    pub digest: String,
}

/// Runs every job on a pool of `threads` threads; the results come back in the jobs'
/// order. A run that cannot be carried out at all (an I/O error) is an error.
pub fn run_jobs(
    jobs: &[Job<'_>],
    threads: usize,
    on_done: &(dyn Fn(&SeedResult) + Sync),
) -> Result<Vec<SeedResult>, GradeError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("grade-{i}"))
        .build()
        .map_err(|e| GradeError::Threads(e.to_string()))?;
    quiet_grading_panics();
    pool.install(|| {
        jobs.par_iter()
            .map(|j| {
                let r = run_one(j)?;
                on_done(&r);
                Ok(r)
            })
            .collect()
    })
}

/// A panic in the code under test is a finding, kept as the run's failure with its message:
/// the grading threads' panics are not printed (with a backtrace each) as well. The filter
/// is installed once per process, in front of the hook it found, which every other thread's
/// panic still reaches; swapping hooks around each grading raced when two ran at once.
fn quiet_grading_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !std::thread::current().name().is_some_and(|n| n.starts_with("grade-")) {
                previous(info);
            }
        }));
    });
}

/// Runs one job; a panic becomes the failure `panic`.
fn run_one(j: &Job<'_>) -> Result<SeedResult, GradeError> {
    let seed = j.seed;
    match catch_unwind(AssertUnwindSafe(|| runner::run(j.scenario, RunOptions::seed(seed)))) {
        Ok(Ok(outcome)) => {
            Ok(SeedResult { seed, failure: judge(&outcome, j.checks), digest: outcome.digest })
        }
        Ok(Err(source)) => Err(GradeError::Run { scenario: j.scenario.name.clone(), seed, source }),
        Err(p) => Ok(SeedResult {
            seed,
            failure: Some(SeedFailure { check: PANIC.into(), detail: panic_message(p.as_ref()) }),
            digest: String::new(),
        }),
    }
}

/// What can stop a grading.
#[derive(Debug, Error)]
pub enum GradeError {
    /// The thread pool could not start.
    #[error("cannot start the grading threads: {0}")]
    Threads(String),
    /// A run failed for a reason other than a check.
    #[error("{scenario} seed {seed}: {source}")]
    Run {
        /// The scenario's name.
        scenario: String,
        /// The seed.
        seed: u64,
        /// What went wrong.
        source: RunError,
    },
}

/// A test's score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TestScore {
    /// The test's name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Whether it comes from a hidden suite.
    pub hidden: bool,
    /// Seeds run.
    pub seeds: usize,
    /// Seeds that passed every required check.
    pub passed: usize,
    /// Points earned (all of the test's points, or none).
    pub earned: u32,
    /// Points it is worth.
    pub points: u32,
    /// The first failing seed (in the test's order) and why.
    pub first_failure: Option<(u64, SeedFailure)>,
}

impl TestScore {
    /// Scores a test from its seeds' results, in the test's seed order.
    pub fn of(test: &Test, hidden: bool, results: &[SeedResult]) -> TestScore {
        let passed = results.iter().filter(|r| r.failure.is_none()).count();
        let first_failure = results.iter().find_map(|r| r.failure.clone().map(|f| (r.seed, f)));
        TestScore {
            name: test.name.clone(),
            title: test.title.clone(),
            hidden,
            seeds: results.len(),
            passed,
            earned: if first_failure.is_none() { test.points } else { 0 },
            points: test.points,
            first_failure,
        }
    }

    /// Whether every seed passed.
    pub fn passed(&self) -> bool {
        self.first_failure.is_none()
    }
}

/// The score table: one row per test, then the total. Hidden tests are marked; nothing of
/// their scenarios is shown.
pub fn table(scores: &[TestScore]) -> String {
    let name = |s: &TestScore| if s.hidden { format!("{} (hidden)", s.name) } else { s.name.clone() };
    let width = scores.iter().map(|s| name(s).len()).max().unwrap_or(4).max(4);
    let mut out = format!("  {:<width$}  {:>7}  {:>7}  first failing check\n", "test", "seeds", "points");
    for s in scores {
        let seeds = format!("{}/{}", s.passed, s.seeds);
        let points = format!("{}/{}", s.earned, s.points);
        let first = match &s.first_failure {
            None => "-".to_string(),
            Some((seed, f)) => format!("{} (seed {seed})", f.check),
        };
        out += &format!("  {:<width$}  {seeds:>7}  {points:>7}  {first}\n", name(s));
    }
    let earned: u64 = scores.iter().map(|s| u64::from(s.earned)).sum();
    let total: u64 = scores.iter().map(|s| u64::from(s.points)).sum();
    let passed = scores.iter().filter(|s| s.passed()).count();
    out += &format!("score: {earned}/{total} points ({passed} of {} tests passed)\n", scores.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckResult;

    const GOOD: &str = r#"{ "title": "t", "protocol": "raft", "tests": [
        { "name": "a", "title": "A", "scenario": "a.json", "seeds": [3, 1], "checks": ["liveness", "linearizable"], "points": 5 },
        { "name": "b", "title": "B", "hint": "h", "scenario": "b.json", "seeds": "4..6", "checks": ["invariants"], "points": 2 },
        { "name": "c", "title": "C", "scenario": "/x/c.json", "seeds": { "first": 10, "count": 2 }, "checks": ["event_budget"], "points": 0 } ] }"#;

    fn err(text: &str) -> String {
        Suite::parse(text, "s.json").expect_err("refused").to_string()
    }

    #[test]
    fn a_suite_reads_with_every_form_of_seeds() {
        let s = Suite::parse(GOOD, "s.json").expect("valid");
        assert_eq!(s.protocol.as_deref(), Some("raft"));
        assert_eq!(s.tests[0].seeds.0, vec![3, 1]);
        assert_eq!(s.tests[1].seeds.0, vec![4, 5, 6]);
        assert_eq!(s.tests[2].seeds.0, vec![10, 11]);
        assert_eq!(s.tests[0].checks, vec![Check::Liveness, Check::Linearizable]);
        assert_eq!(s.points(), 7);
        assert_eq!(scenario_path(Path::new("lab/suite.json"), &s.tests[0]), Path::new("lab/a.json"));
        assert_eq!(scenario_path(Path::new("suite.json"), &s.tests[0]), Path::new("./a.json"));
        assert_eq!(scenario_path(Path::new("lab/suite.json"), &s.tests[2]), Path::new("/x/c.json"));
    }

    #[test]
    fn a_bad_suite_is_refused_naming_the_field() {
        let e = err(&GOOD.replace(r#""liveness", "linearizable""#, r#""liveness", "linearisable""#));
        assert!(
            e.starts_with("s.json: tests[0].checks[1]: unknown variant `linearisable`, expected one of"),
            "{e}"
        );
        let e = err(&GOOD.replace(r#""points": 5"#, r#""points": -5"#));
        assert!(e.starts_with("s.json: tests[0].points: invalid value: integer `-5`"), "{e}");
        let e = err(&GOOD.replace(r#""seeds": [3, 1]"#, r#""seeds": [3, 3]"#));
        assert!(e.starts_with("s.json: tests[0].seeds: seed 3 is listed twice"), "{e}");
        let e = err(&GOOD.replace(r#""seeds": [3, 1]"#, r#""seeds": []"#));
        assert_eq!(e, "s.json: tests[0].seeds: no seed to run");
        let e = err(&GOOD.replace(r#""4..6""#, r#""6..4""#));
        assert!(e.starts_with("s.json: tests[1].seeds: the range 6..4 is empty"), "{e}");
        let e = err(&GOOD.replace(r#""count": 2"#, r#""cuont": 2"#));
        assert!(e.starts_with("s.json: tests[2].seeds: unknown field `cuont`"), "{e}");
        let e = err(&GOOD.replace(r#""name": "b""#, r#""name": "a""#));
        assert_eq!(e, "s.json: tests[1].name: \"a\" names two tests");
        let e = err(&GOOD.replace(r#""name": "b""#, r#""name": "../b""#));
        assert!(e.starts_with("s.json: tests[1].name: \"../b\": use letters"), "{e}");
        let e = err(&GOOD.replace(r#""hint": "h""#, r#""hnit": "h""#));
        assert!(e.starts_with("s.json: tests[1].hnit: unknown field `hnit`"), "{e}");
        let e = err(&GOOD.replace(r#""checks": ["invariants"]"#, r#""checks": []"#));
        assert_eq!(e, "s.json: tests[1].checks: no check to pass; name at least one");
        let e =
            err(&GOOD.replace(r#""checks": ["invariants"]"#, r#""checks": ["invariants", "invariants"]"#));
        assert_eq!(e, "s.json: tests[1].checks[1]: `invariants` is listed twice");
        let e = err(&GOOD.replace(r#", "scenario": "a.json""#, ""));
        assert!(e.starts_with("s.json: tests[0]: missing field `scenario`"), "{e}");
        assert_eq!(err(r#"{ "tests": [] }"#), "s.json: tests: a suite needs at least one test");
        assert!(err("{ \"tests\": [").starts_with("s.json: (file): not valid JSON"));
    }

    fn outcome(checks: &[(&str, CheckResult)]) -> Outcome {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/raft-happy-path.json"))
                .expect("shipped");
        let s = crate::scenario::parse(&text).expect("valid");
        let mut o = runner::run(&s, RunOptions::seed(1)).expect("runs");
        o.checks = checks.iter().map(|(n, r)| (n.to_string(), r.clone())).collect();
        o
    }

    #[test]
    fn a_run_is_judged_by_its_first_required_check_that_did_not_pass() {
        let o = outcome(&[
            ("linearizable", CheckResult::pass("ok")),
            ("liveness", CheckResult::fail("c1 waited")),
            ("invariants", CheckResult::unknown("budget")),
        ]);
        assert_eq!(judge(&o, &[Check::Linearizable]), None);
        let f = judge(&o, &[Check::Linearizable, Check::Liveness, Check::Invariants]).expect("fails");
        assert_eq!((f.check.as_str(), f.detail.as_str()), ("liveness", "c1 waited"));
        let f = judge(&o, &[Check::Invariants, Check::Liveness]).expect("fails");
        assert_eq!(f.check, "invariants");
        assert!(f.detail.starts_with("could not decide within its budget"));
        // A check the run does not have (here: the run was not stopped) fails, saying so.
        let f = judge(&o, &[Check::Convergence]).expect("fails");
        assert_eq!(f.detail, "the run has no such verdict");
        // A run the event budget did not stop stayed within it.
        assert_eq!(judge(&o, &[Check::EventBudget, Check::Linearizable]), None);
        let mut stopped = o.clone();
        stopped.checks.insert(Check::EventBudget.name().into(), CheckResult::fail("storm"));
        assert_eq!(judge(&stopped, &[Check::EventBudget]).map(|f| f.check), Some("event_budget".into()));
    }

    #[test]
    fn a_test_earns_its_points_only_if_every_seed_passes() {
        let s = Suite::parse(GOOD, "s.json").expect("valid");
        let fail = SeedFailure { check: "liveness".into(), detail: "d".into() };
        let r = |seed, failure: Option<SeedFailure>| SeedResult { seed, failure, digest: String::new() };
        let all = TestScore::of(&s.tests[0], false, &[r(3, None), r(1, None)]);
        assert_eq!((all.passed, all.earned, all.passed()), (2, 5, true));
        let some =
            TestScore::of(&s.tests[1], true, &[r(4, None), r(5, Some(fail.clone())), r(6, Some(fail))]);
        assert_eq!((some.passed, some.earned), (1, 0));
        assert_eq!(some.first_failure.as_ref().map(|f| f.0), Some(5));
        let t = table(&[all, some]);
        assert!(t.contains("\n  a               2/2      5/5  -\n"), "{t}");
        assert!(t.contains("\n  b (hidden)      1/3      0/2  liveness (seed 5)\n"), "{t}");
        assert!(t.ends_with("score: 5/7 points (1 of 2 tests passed)\n"), "{t}");
    }
}
