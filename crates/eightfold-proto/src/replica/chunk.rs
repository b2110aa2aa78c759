//! Sending a snapshot in chunks (Raft's Figure 13 `offset` and `done`, used by Multi-Paxos's
//! learners too).
//!
//! A snapshot is as large as the whole store. Sent as one message it can be larger than a
//! link's queue, and a message larger than the queue is dropped every time it is sent: the
//! replica that needs it would never catch up. Both protocols therefore send at most
//! `max_bytes_per_msg` bytes of it at a time, each chunk naming its byte offset and whether
//! it is the last, and the receiver reassembles them in order.

use std::sync::Arc;

use eightfold_sim::sim::{NodeId, SimTime};

/// One chunk of a serialized snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Byte offset of `data` in the snapshot.
    pub offset: u64,
    /// True for the last chunk.
    pub done: bool,
    /// The bytes.
    pub data: Arc<[u8]>,
}

/// The chunk of `snapshot` that starts at `offset` (clamped to its end; the chunk at the
/// end is empty and `done`), at most `max` bytes long (at least 1).
pub fn at(snapshot: &[u8], offset: u64, max: u32) -> Chunk {
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(snapshot.len());
    let end = snapshot.len().min(start.saturating_add(max.max(1) as usize));
    Chunk { offset: start as u64, done: end == snapshot.len(), data: snapshot[start..end].into() }
}

/// A snapshot a replica is receiving from a peer, chunk by chunk (volatile: lost in a
/// crash). `K` names the transfer: Raft's leader term and snapshot metadata, Paxos's log
/// base. Chunks are taken in order only; a first chunk of another transfer starts over.
#[derive(Debug)]
pub struct Incoming<K> {
    /// The peer sending it.
    pub from: NodeId,
    /// What names the transfer.
    pub key: K,
    /// The bytes received so far, contiguous from offset 0.
    data: Vec<u8>,
    /// When the last chunk that moved the transfer arrived (or the transfer started).
    pub progress_at: SimTime,
}

impl<K: PartialEq> Incoming<K> {
    /// The transfer a chunk at `offset` of `from`'s snapshot `key` belongs to: a first
    /// chunk (offset 0) of a transfer `slot` does not hold starts a new one in `slot` (a
    /// late copy of the held transfer's first chunk changes nothing); any other chunk
    /// belongs to the held transfer if it is the same one, and to none otherwise (the
    /// receiver restarted, gave the transfer up, or lost its first chunk).
    pub fn receive(
        slot: &mut Option<Incoming<K>>,
        from: NodeId,
        key: K,
        offset: u64,
        now: SimTime,
    ) -> Option<&mut Incoming<K>> {
        let same = |i: &Incoming<K>| i.from == from && i.key == key;
        if offset == 0 && !slot.as_ref().is_some_and(same) {
            *slot = Some(Incoming { from, key, data: Vec::new(), progress_at: now });
            return slot.as_mut();
        }
        slot.as_mut().filter(|i| same(i))
    }

    /// Bytes held so far: the offset of the next chunk expected.
    pub fn held(&self) -> u64 {
        self.data.len() as u64
    }

    /// Appends the next chunk's bytes, received at `now`.
    pub fn extend(&mut self, data: &[u8], now: SimTime) {
        self.data.extend_from_slice(data);
        self.progress_at = now;
    }

    /// The reassembled snapshot.
    pub fn into_data(self) -> Arc<[u8]> {
        self.data.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_snapshot_once_in_order() {
        let snap: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut rebuilt = Vec::new();
        let mut offset = 0;
        loop {
            let c = at(&snap, offset, 300);
            assert_eq!(c.offset, offset);
            assert!(c.data.len() <= 300);
            rebuilt.extend_from_slice(&c.data);
            offset += c.data.len() as u64;
            if c.done {
                break;
            }
        }
        assert_eq!(rebuilt, snap);
        assert_eq!(at(&snap, 0, 300).data.len(), 300);
        assert!(at(&snap, 900, 300).done && at(&snap, 5000, 300).data.is_empty());
        assert!(at(&[], 0, 300).done, "an empty snapshot is one empty, final chunk");
    }

    #[test]
    fn a_transfer_starts_at_a_first_chunk_and_ignores_strangers() {
        let (a, b) = (NodeId(1), NodeId(2));
        let mut slot: Option<Incoming<u8>> = None;
        assert!(Incoming::receive(&mut slot, a, 7, 5, SimTime(0)).is_none(), "no first chunk yet");
        Incoming::receive(&mut slot, a, 7, 0, SimTime(1)).unwrap().extend(b"abc", SimTime(1));
        assert_eq!(Incoming::receive(&mut slot, a, 7, 3, SimTime(2)).map(|i| i.held()), Some(3));
        assert_eq!(Incoming::receive(&mut slot, a, 7, 0, SimTime(2)).map(|i| i.held()), Some(3), "late copy");
        assert!(Incoming::receive(&mut slot, b, 7, 3, SimTime(2)).is_none(), "another sender");
        assert!(Incoming::receive(&mut slot, a, 8, 3, SimTime(2)).is_none(), "another snapshot");
        assert_eq!(
            Incoming::receive(&mut slot, a, 8, 0, SimTime(3)).map(|i| i.held()),
            Some(0),
            "starts over"
        );
        assert_eq!(slot.map(|i| (i.progress_at, i.into_data().len())), Some((SimTime(3), 0)));
    }
}
