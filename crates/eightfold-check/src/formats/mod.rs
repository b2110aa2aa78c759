//! History files the linearizability checker reads, each turned into key-value
//! [`KvOperation`]s:
//!
//! - [`eightfold`]: our own `history.json` (virtual-nanosecond times);
//! - [`porcupine_etcd`]: Jepsen etcd register logs (Porcupine's `test_data/jepsen`);
//! - [`porcupine_kv`]: Jepsen-style key-value logs (Porcupine's `test_data/kv`).
//!
//! Parsers never panic on bad input: they return a [`FormatError`] naming the line or JSON
//! path, what was expected and what was found. Inputs are capped ([`MAX_FILE_BYTES`],
//! [`MAX_LINE_BYTES`], [`MAX_OPS`]) so a wrong path cannot exhaust memory.

pub mod eightfold;
mod error;
mod lines;
mod pending;
pub mod porcupine_etcd;
pub mod porcupine_kv;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use error::FormatError;

use crate::linearizability::{KvOperation, Notation, Value};

/// The largest history file accepted.
pub const MAX_FILE_BYTES: u64 = 2 << 30;
/// The longest line accepted in a line-based format.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The most operations a history may have.
pub const MAX_OPS: usize = 10_000_000;

/// A history file format.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// eightfold's `history.json`.
    Eightfold,
    /// Jepsen etcd register logs.
    PorcupineEtcd,
    /// Jepsen-style key-value logs.
    PorcupineKv,
}

/// A parsed history, ready for a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedHistory {
    /// The operations (on key `""` for the register formats).
    pub ops: Vec<KvOperation>,
    /// Every key's value before the history (`None` = absent).
    pub initial: Option<Value>,
    /// How to print the operations' clients and times.
    pub notation: Notation,
}

/// Reads and parses a history file.
pub fn load(path: &Path, format: Format) -> Result<ParsedHistory, FormatError> {
    let io = |e: std::io::Error| FormatError::Io(e.to_string());
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(FormatError::FileTooLarge { size, limit: MAX_FILE_BYTES });
    }
    let reader = BufReader::new(file);
    match format {
        Format::Eightfold => {
            let mut text = String::with_capacity(size as usize);
            reader.take(MAX_FILE_BYTES).read_to_string(&mut text).map_err(io)?;
            eightfold::parse(&text)
        }
        Format::PorcupineEtcd => porcupine_etcd::parse(reader),
        Format::PorcupineKv => porcupine_kv::parse(reader),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Lines close to valid ones, so the fuzzing reaches past the first check.
    fn near_valid_line() -> impl Strategy<Value = String> {
        let etcd = prop_oneof![
            Just("INFO  jepsen.util - 1\t:invoke\t:cas\t[3 0]".to_string()),
            Just("INFO  jepsen.util - 1\t:ok\t:read\tnil".to_string()),
            Just("INFO  jepsen.util - 2 :info :write :timed-out".to_string()),
        ];
        let kv = prop_oneof![
            Just(r#"{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}"#.to_string()),
            Just(r#"{:process 9, :type :ok, :f :get, :key "0", :value "x"}"#.to_string()),
        ];
        (prop_oneof![etcd, kv], any::<usize>(), any::<char>()).prop_map(|(line, at, c)| {
            let mut chars: Vec<char> = line.chars().collect();
            let at = at % chars.len();
            chars[at] = c;
            chars.into_iter().collect()
        })
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = porcupine_etcd::parse(&bytes[..]);
            let _ = porcupine_kv::parse(&bytes[..]);
            let _ = eightfold::parse(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn parsers_never_panic_on_near_valid_lines(lines in proptest::collection::vec(near_valid_line(), 0..8)) {
            let text = lines.join("\n");
            let _ = porcupine_etcd::parse(text.as_bytes());
            let _ = porcupine_kv::parse(text.as_bytes());
        }
    }
}
