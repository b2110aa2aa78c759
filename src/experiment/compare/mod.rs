//! Comparing protocols: the same scenario and seeds on Raft, Multi-Paxos and the quorum store.
//!
//! A deterministic simulator makes a fair comparison cheap: every protocol meets exactly the
//! same network draws, client requests and fault times for a given seed, so differences in
//! the figures come from the protocols, not from luck. `eightfold compare` goes through
//! these steps, one module each:
//!
//! 1. [`adapt`](fn@adapt) the scenario to each protocol (switch `cluster.protocol`, drop or translate
//!    what only another protocol has, and record every change with its reason);
//! 2. [`run`] every `(protocol, seed)` pair in parallel and [`measure`] each run as it ends:
//!    operations during and outside fault windows, latency, traffic, check verdicts;
//! 3. aggregate per protocol across seeds into [`summary::Comparison`] (`compare.json`);
//! 4. draw the latency CDF and throughput [`charts`], write the plain-language
//!    [`findings`] and the [`page`] (`index.html`).
//!
//! [`files`] renders everything a comparison report holds, for the CLI to write atomically.

pub mod adapt;
pub mod charts;
pub mod findings;
pub mod measure;
pub mod page;
pub mod protocols;
pub mod run;
pub mod summary;

pub use adapt::{AdaptError, Adapted, Change, ChangeKind, adapt};
pub use protocols::{ProtocolList, ProtocolsError};
pub use run::{CompareError, CompareOutput, ComparePlan, compare};
pub use summary::Comparison;

use crate::report::charts::{ChartError, ReportFile};
use crate::scenario::Protocol;

/// The file an adapted scenario is saved as in the report.
pub fn scenario_file(p: Protocol) -> &'static str {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    // One name per registered protocol for the process's life (a report file's name is
    // `'static`): a handful of bytes, made once each.
    static NAMES: Mutex<BTreeMap<&'static str, &'static str>> = Mutex::new(BTreeMap::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    names.entry(p.name()).or_insert_with(|| Box::leak(format!("scenario-{}.json", p.name()).into_boxed_str()))
}

/// Every file of a comparison report: `compare.json`, `scenario.json` (the scenario as
/// written, `text`), `scenario-<protocol>.json` for each protocol, the two charts and
/// `index.html`.
pub fn files(out: &CompareOutput, text: &str) -> Result<Vec<ReportFile>, ChartError> {
    let mut files = vec![
        ReportFile { name: "compare.json", contents: out.comparison.to_json() },
        ReportFile { name: "scenario.json", contents: text.to_string() },
    ];
    for a in &out.adapted {
        files.push(ReportFile {
            name: scenario_file(a.protocol),
            contents: a.scenario.to_json_pretty() + "\n",
        });
    }
    let charts = charts::render(&out.comparison)?;
    let names: Vec<&str> = charts.iter().map(|f| f.name).collect();
    let mut anomalies = Vec::new();
    for p in &out.comparison.protocols {
        if let Some(ex) = &p.safety.example {
            let title = format!("{} — seed {}: the checker's smallest counterexample", p.name, ex.seed);
            anomalies.push((
                p.protocol.clone(),
                crate::report::charts::counterexample::render(&ex.counterexample, &title, &p.protocol)?,
            ));
        }
    }
    let index = page::index(&out.comparison, &names, &anomalies);
    files.extend(charts);
    files.push(ReportFile { name: "index.html", contents: index });
    Ok(files)
}
