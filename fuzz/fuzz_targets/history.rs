//! Any bytes as a history file of every accepted format: parsing returns operations or an
//! error, and checking what parses stays within its budget.
#![no_main]

use eightfold::check::formats;
use eightfold::check::linearizability as lin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut options = lin::Options::default();
    options.budget.max_steps = 20_000;
    options.budget.max_time = Some(std::time::Duration::from_millis(200));
    options.shrink = None;
    match which % 3 {
        0 => {
            if let Ok(h) = serde_json::from_str::<eightfold::workload::history::History>(text) {
                let _ = lin::check_history(&h, &options);
            }
        }
        1 => {
            if let Ok(p) = formats::porcupine_etcd::parse(text.as_bytes()) {
                let initial = p.initial.clone();
                if let Ok(ops) = lin::single_register(p.ops) {
                    let _ = lin::check(&lin::Register { initial }, &ops, &options);
                }
            }
        }
        _ => {
            if let Ok(p) = formats::porcupine_kv::parse(text.as_bytes()) {
                let _ = lin::check(&lin::KeyValue { initial: p.initial.clone() }, &p.ops, &options);
            }
        }
    }
});
