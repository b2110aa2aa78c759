//! Virtual clients: they are nodes too, so their requests cross the simulated network and
//! suffer its faults. Each workload records what its clients did for the checkers; the
//! key-value one streams it ([`stream`]) so a long run holds only the recent part.

pub mod broadcast;
pub use eightfold_check::history;
pub mod keys;
pub mod kv;
pub mod stream;
