//! Virtual clients: they are nodes too, so their requests cross the simulated network and
//! suffer its faults. Each workload records what its clients did for the checkers.

pub mod broadcast;
pub mod history;
pub mod keys;
pub mod kv;
