//! eightfold-check's integration tests, one binary with a module per capability. They use the
//! crate alone, as a library user would: no part of the simulator is linked.

mod corpus;
mod props;
