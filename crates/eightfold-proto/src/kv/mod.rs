//! The replicated key-value service: operations, the client protocol, and the state
//! machine with client sessions that every consensus protocol applies in log order.

pub mod op;
pub mod store;

pub use op::{ClientReply, ClientRequest, ClientSeq, Key, KvOp, KvResult};
pub use store::KvStore;
