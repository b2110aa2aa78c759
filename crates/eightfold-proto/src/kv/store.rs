//! The key-value state machine replicated by every consensus protocol, with client
//! sessions for exactly-once application.
//!
//! A client retries a request it got no answer for, possibly at another server, and the
//! first attempt may still be committed later. Without sessions the store would apply
//! both (an `append` twice). With them, each client's highest applied sequence number and
//! its result are part of the replicated state: a request whose sequence number was
//! already applied is answered from the session, not applied again (Raft dissertation
//! §6.3, "Implementing linearizable semantics").

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use super::op::{ClientRequest, ClientSeq, Key, KvOp, KvResult, string};
use crate::wire::{Reader, Writer};

/// A client's session: the last request applied for it and that request's result.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Session {
    seq: ClientSeq,
    result: KvResult,
}

/// The replicated key-value state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvStore {
    data: BTreeMap<Key, String>,
    sessions: BTreeMap<u32, Session>,
    /// Switches off session deduplication (the `no-dedup` bug).
    pub dedup_disabled: bool,
}

impl KvStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a committed request; returns its result. A request already applied for this
    /// client returns the remembered result without being applied again.
    pub fn apply(&mut self, req: &ClientRequest) -> KvResult {
        self.apply_owned(req.clone()).clone()
    }

    /// [`KvStore::apply`] for a request the caller owns: a written value moves into the
    /// store, and the result is lent from the client's session, so a replica that answers
    /// no one (a follower) copies nothing.
    pub fn apply_owned(&mut self, req: ClientRequest) -> &KvResult {
        // One search of the sessions: the entry is read, written, and lent out.
        let data = &mut self.data;
        match self.sessions.entry(req.client) {
            Entry::Occupied(o) => {
                let s = o.into_mut();
                // seq == s.seq: a retry of the last request. seq < s.seq cannot be waited
                // on any more (clients are closed-loop), so its reply is irrelevant.
                if self.dedup_disabled || req.seq > s.seq {
                    *s = Session { seq: req.seq, result: Self::execute(data, req.op) };
                }
                &s.result
            }
            Entry::Vacant(v) => {
                &v.insert(Session { seq: req.seq, result: Self::execute(data, req.op) }).result
            }
        }
    }

    /// Serves a read from the current state (for ReadIndex and lease reads; the caller
    /// guarantees the state is recent enough).
    pub fn read(&self, key: Key) -> KvResult {
        KvResult::Value(self.data.get(&key).cloned())
    }

    fn execute(data: &mut BTreeMap<Key, String>, op: KvOp) -> KvResult {
        match op {
            KvOp::Get { key } => KvResult::Value(data.get(&key).cloned()),
            KvOp::Put { key, value } => {
                data.insert(key, value);
                KvResult::Done
            }
            KvOp::Append { key, value } => {
                data.entry(key).or_default().push_str(&value);
                KvResult::Done
            }
            KvOp::Cas { key, expected, new } => {
                if data.get(&key) == expected.as_ref() {
                    data.insert(key, new);
                    KvResult::Cas { applied: true }
                } else {
                    KvResult::Cas { applied: false }
                }
            }
        }
    }

    /// Number of keys holding a value.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True if no key holds a value.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// A stable hash of the data and sessions (to compare replicas).
    pub fn fingerprint(&self) -> u64 {
        eightfold_sim::sim::digest::hash_bytes(&self.snapshot())
    }

    /// Serializes data and sessions (a snapshot for log compaction).
    pub fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.u32(self.data.len() as u32);
        for (k, v) in &self.data {
            w.u32(*k).bytes(v.as_bytes());
        }
        w.u32(self.sessions.len() as u32);
        for (c, s) in &self.sessions {
            w.u32(*c).u64(s.seq.0);
            s.result.encode(&mut w);
        }
        out
    }

    /// Rebuilds a store from [`KvStore::snapshot`] bytes.
    pub fn restore(bytes: &[u8]) -> Option<KvStore> {
        let mut r = Reader::new(bytes);
        let mut data = BTreeMap::new();
        for _ in 0..r.u32()? {
            let k = r.u32()?;
            data.insert(k, string(&mut r)?);
        }
        let mut sessions = BTreeMap::new();
        for _ in 0..r.u32()? {
            let c = r.u32()?;
            let seq = ClientSeq(r.u64()?);
            sessions.insert(c, Session { seq, result: KvResult::decode(&mut r)? });
        }
        r.finish(KvStore { data, sessions, dedup_disabled: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(client: u32, seq: u64, op: KvOp) -> ClientRequest {
        ClientRequest { client, seq: ClientSeq(seq), op }
    }

    #[test]
    fn operations_have_their_meaning() {
        let mut s = KvStore::new();
        assert_eq!(s.apply(&req(1, 1, KvOp::Get { key: 1 })), KvResult::Value(None));
        assert_eq!(s.apply(&req(1, 2, KvOp::Append { key: 1, value: "a".into() })), KvResult::Done);
        assert_eq!(s.apply(&req(1, 3, KvOp::Append { key: 1, value: "b".into() })), KvResult::Done);
        assert_eq!(s.read(1), KvResult::Value(Some("ab".into())));
        let cas = |exp: Option<&str>| KvOp::Cas { key: 1, expected: exp.map(String::from), new: "z".into() };
        assert_eq!(s.apply(&req(1, 4, cas(Some("x")))), KvResult::Cas { applied: false });
        assert_eq!(s.apply(&req(1, 5, cas(Some("ab")))), KvResult::Cas { applied: true });
        assert_eq!(s.apply(&req(1, 6, KvOp::Put { key: 2, value: "p".into() })), KvResult::Done);
        assert_eq!(s.apply(&req(1, 7, cas(None))), KvResult::Cas { applied: false });
        assert_eq!(s.read(1), KvResult::Value(Some("z".into())));
    }

    #[test]
    fn a_retried_request_is_applied_once() {
        let mut s = KvStore::new();
        let r = req(3, 1, KvOp::Append { key: 9, value: "x".into() });
        s.apply(&r);
        s.apply(&r);
        assert_eq!(s.read(9), KvResult::Value(Some("x".into())));
        // With deduplication switched off (a named bug), the retry applies twice.
        let mut buggy = KvStore { dedup_disabled: true, ..KvStore::new() };
        buggy.apply(&r);
        buggy.apply(&r);
        assert_eq!(buggy.read(9), KvResult::Value(Some("xx".into())));
    }

    #[test]
    fn snapshots_round_trip() {
        let mut s = KvStore::new();
        s.apply(&req(1, 1, KvOp::Put { key: 1, value: "a".into() }));
        s.apply(&req(2, 1, KvOp::Cas { key: 5, expected: None, new: "b".into() }));
        let t = KvStore::restore(&s.snapshot()).expect("valid snapshot");
        assert_eq!(t, s);
        assert_eq!(t.fingerprint(), s.fingerprint());
        assert!(KvStore::restore(&s.snapshot()[1..]).is_none());
    }
}
