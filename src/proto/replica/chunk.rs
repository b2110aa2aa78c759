//! Sending a snapshot in chunks (Raft's Figure 13 `offset` and `done`, used by Multi-Paxos's
//! learners too).
//!
//! A snapshot is as large as the whole store. Sent as one message it can be larger than a
//! link's queue, and a message larger than the queue is dropped every time it is sent: the
//! replica that needs it would never catch up. Both protocols therefore send at most
//! `max_bytes_per_msg` bytes of it at a time, each chunk naming its byte offset and whether
//! it is the last, and the receiver reassembles them in order.

use std::sync::Arc;

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
}
