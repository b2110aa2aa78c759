//! The lab runs the toy protocol like a shipped one: a live session, its per-server view,
//! and the linearizability check watching as it goes.

use eightfold::lab::session::Session;
use eightfold::sim::SimTime;

fn text(name: &str) -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.json"));
    std::fs::read_to_string(path).expect("shipped with the example")
}

#[test]
fn a_lab_session_runs_the_toy_and_sees_two_servers_disagree() {
    assert!(custom_protocol::registry().install(), "the first registry of this test process");
    let mut one = Session::open(&text("single"), 1).expect("opens");
    one.advance_to(SimTime(3_000_000_000));
    assert_eq!(one.view()["protocol"], "single");
    assert!(one.violation().is_none(), "one server is linearizable: {:?}", one.violation());
    assert!(!one.history().expect("re-simulates").ops.is_empty());

    let mut two = Session::open(&text("pair"), 1).expect("opens");
    two.advance_to(SimTime(4_000_000_000));
    assert!(two.violation().is_some(), "two servers without consensus are not linearizable");
}
