//! Any bytes as a message on the wire: decoding (what a receiver does with a corrupted
//! or forged envelope when authentication is off) never panics or over-allocates.
#![no_main]

use eightfold::proto::gossip::GossipMsg;
use eightfold::proto::service::ServiceMsg;
use eightfold::sim::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(m) = ServiceMsg::decode(data) {
        let mut again = Vec::new();
        m.encode(&mut again);
        assert_eq!(ServiceMsg::decode(&again).as_ref(), Some(&m), "re-encoding must round-trip");
        let _ = m.wire_size();
    }
    let _ = GossipMsg::decode(data);
});
