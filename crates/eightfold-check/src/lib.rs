//! eightfold-check: is a history of key-value operations linearizable?
//!
//! This crate is eightfold's linearizability checker, usable on its own: it depends on no
//! part of the simulator (only `serde`, `serde_json`, `serde_path_to_error` and `thiserror`), and the simulator
//! depends on it. Give it a history — eightfold's `history.json`, a Jepsen etcd log or a
//! Jepsen-style key-value log as Porcupine's test data has them — and it answers
//! linearizable, not linearizable with a minimal counterexample, or unknown when its
//! deterministic budget (search steps and accounted bytes, never the wall clock) runs out.
//!
//! - [`history`]: the operation history (client, call and return times in nanoseconds,
//!   outcome `ok`/`fail`/`info`) and its streaming reader and writer;
//! - [`formats`]: the history files the checker reads;
//! - [`linearizability`]: the search (Wing & Gong with Lowe's memoization, partitioned per
//!   key, a linear pass for append-only keys, incremental checking of long histories);
//! - [`time`]: durations as the counterexamples print them.
//!
//! ```
//! use eightfold_check::formats::porcupine_kv;
//! use eightfold_check::linearizability::{check, KeyValue, Options, Verdict};
//!
//! // Process 0 puts "x" and is acknowledged; afterwards process 1 reads the key as empty.
//! let log = r#"{:process 0, :type :invoke, :f :put, :key "k", :value "x"}
//! {:process 0, :type :ok, :f :put, :key "k", :value "x"}
//! {:process 1, :type :invoke, :f :get, :key "k", :value nil}
//! {:process 1, :type :ok, :f :get, :key "k", :value ""}
//! "#;
//! let history = porcupine_kv::parse(log.as_bytes()).unwrap();
//! let report = check(&KeyValue { initial: history.initial.clone() }, &history.ops, &Options::default());
//! assert!(matches!(report.verdict, Verdict::NotLinearizable(_)));
//! ```
#![warn(missing_docs)]

pub mod formats;
pub mod history;
pub mod linearizability;
pub mod time;
