//! A write-ahead log: records framed with a length and a checksum, so recovery can tell
//! a complete record from a torn or corrupted one.
//!
//! Frame: `len: u32 LE | crc32(len ‖ payload): u32 LE | payload`. Recovery reads frames
//! from the start and stops at the first one that is incomplete (a torn write: the crash
//! cut the last append short) or whose checksum does not match (corruption). What comes
//! before is trusted; what comes after is not read. Recovery reports *which* of the two
//! happened, because they mean different things: a torn tail is a write that was never
//! acknowledged and may be discarded, while a bad checksum on a complete record is damage
//! to data the node may already have promised to others.

/// Bytes of framing per record.
pub const FRAME_HEADER: usize = 8;

/// Largest record payload accepted (a larger length field is treated as corruption).
pub const MAX_RECORD: usize = 64 << 20;

/// Appends one framed record to `out`.
pub fn frame(payload: &[u8], out: &mut Vec<u8>) {
    let len = (payload.len() as u32).to_le_bytes();
    let mut h = crc32fast::Hasher::new();
    h.update(&len);
    h.update(payload);
    out.extend_from_slice(&len);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(payload);
}

/// One framed record as a new byte vector.
pub fn framed(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + FRAME_HEADER);
    frame(payload, &mut v);
    v
}

/// How the log ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Every byte belonged to a complete, valid record.
    Clean,
    /// The last record is incomplete (a torn write) starting at this offset.
    Torn {
        /// Offset of the incomplete record.
        at: u64,
    },
    /// A complete record at this offset fails its checksum (or has an impossible length).
    Corrupt {
        /// Offset of the bad record.
        at: u64,
    },
}

/// The trustworthy prefix of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The payloads of the valid records, in order.
    pub records: Vec<Vec<u8>>,
    /// Length in bytes of the valid prefix (truncate the file to this before appending).
    pub valid_len: u64,
    /// How the log ended.
    pub tail: Tail,
}

/// Reads every valid record of a log file's bytes.
pub fn recover(bytes: &[u8]) -> Recovered {
    let mut records = Vec::new();
    let mut pos = 0usize;
    let tail = loop {
        if pos == bytes.len() {
            break Tail::Clean;
        }
        let at = pos as u64;
        if bytes.len() - pos < FRAME_HEADER {
            break Tail::Torn { at };
        }
        let len_bytes: [u8; 4] = bytes[pos..pos + 4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(len_bytes) as usize;
        let crc = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes"));
        if len > MAX_RECORD {
            break Tail::Corrupt { at };
        }
        let start = pos + FRAME_HEADER;
        if bytes.len() - start < len {
            break Tail::Torn { at };
        }
        let payload = &bytes[start..start + len];
        let mut h = crc32fast::Hasher::new();
        h.update(&len_bytes);
        h.update(payload);
        if h.finalize() != crc {
            break Tail::Corrupt { at };
        }
        records.push(payload.to_vec());
        pos = start + len;
    };
    Recovered { records, valid_len: pos as u64, tail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(payloads: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for p in payloads {
            frame(p, &mut v);
        }
        v
    }

    #[test]
    fn clean_log_round_trips() {
        let bytes = log(&[b"one", b"", b"three"]);
        let r = recover(&bytes);
        assert_eq!(r.records, vec![b"one".to_vec(), vec![], b"three".to_vec()]);
        assert_eq!(r.tail, Tail::Clean);
        assert_eq!(r.valid_len, bytes.len() as u64);
    }

    #[test]
    fn every_torn_prefix_is_detected_and_truncated() {
        let bytes = log(&[b"alpha", b"beta"]);
        let first = FRAME_HEADER + 5;
        for cut in first + 1..bytes.len() {
            let r = recover(&bytes[..cut]);
            assert_eq!(r.records, vec![b"alpha".to_vec()], "cut at {cut}");
            assert_eq!(r.valid_len, first as u64);
            assert_eq!(r.tail, Tail::Torn { at: first as u64 });
        }
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let bytes = log(&[b"alpha", b"beta"]);
        let first = FRAME_HEADER + 5;
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            let r = recover(&b);
            // Never a wrong record: either the valid prefix, or a detected bad tail.
            assert_ne!(r.tail, Tail::Clean, "bit {i} went unnoticed");
            for rec in &r.records {
                assert!(rec == b"alpha", "bit {i} produced a bogus record {rec:?}");
            }
            assert!(r.valid_len == 0 || r.valid_len == first as u64);
        }
    }
}
