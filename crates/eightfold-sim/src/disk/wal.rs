//! A write-ahead log: records framed with a length and checksums, so recovery can tell
//! a complete record from a torn or corrupted one.
//!
//! Frame: `len: u32 LE | crc32(len): u32 LE | crc32(len ‖ payload): u32 LE | payload`.
//! Recovery reads frames from the start and stops at the first one that is incomplete (a
//! torn write: the crash cut the last append short) or whose checksum does not match
//! (corruption). What comes before is trusted; what comes after is not read. Recovery
//! reports *which* of the two happened, because they mean different things: a torn tail is
//! a write that was never acknowledged and may be discarded, while a bad checksum on a
//! complete record is damage to data the node may already have promised to others.
//!
//! Why the length has its own checksum: with only one checksum over `len ‖ payload`, a
//! flipped bit in a length field makes the record look longer than the file, which reads
//! exactly like a torn write — and a protocol that discards torn tails would then silently
//! drop acknowledged records (a flip in the first record's length would discard the whole
//! log). With the header checked on its own, "incomplete" can only mean "the header was
//! valid and the bytes it announces are missing", which a bit flip cannot produce.

/// Bytes of framing per record.
pub const FRAME_HEADER: usize = 12;

/// Largest record payload accepted (a larger length field is treated as corruption).
pub const MAX_RECORD: usize = 64 << 20;

/// Appends one framed record to `out`.
pub fn frame(payload: &[u8], out: &mut Vec<u8>) {
    let len = (payload.len() as u32).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    out.extend_from_slice(&payload_crc(&len, payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Appends one framed record to `out` whose payload `write` appends in place (`capacity`
/// bytes expected): the same bytes as [`frame`] of that payload, without building the
/// payload in a vector of its own first.
pub fn frame_in_place(out: &mut Vec<u8>, capacity: usize, write: impl FnOnce(&mut Vec<u8>)) {
    out.reserve(FRAME_HEADER + capacity);
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER]);
    write(out);
    let payload = &out[start + FRAME_HEADER..];
    let len = (payload.len() as u32).to_le_bytes();
    let crc = payload_crc(&len, payload).to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    out[start + 4..start + 8].copy_from_slice(&crc32fast::hash(&len).to_le_bytes());
    out[start + 8..start + 12].copy_from_slice(&crc);
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
    /// The record at this offset fails a checksum (header or payload) or has an impossible
    /// length.
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
        let word = |i: usize| u32::from_le_bytes(bytes[pos + i..pos + i + 4].try_into().expect("4 bytes"));
        if crc32fast::hash(&len_bytes) != word(4) {
            break Tail::Corrupt { at };
        }
        let len = u32::from_le_bytes(len_bytes) as usize;
        if len > MAX_RECORD {
            break Tail::Corrupt { at };
        }
        let start = pos + FRAME_HEADER;
        if bytes.len() - start < len {
            break Tail::Torn { at };
        }
        let payload = &bytes[start..start + len];
        if payload_crc(&len_bytes, payload) != word(8) {
            break Tail::Corrupt { at };
        }
        records.push(payload.to_vec());
        pos = start + len;
    };
    Recovered { records, valid_len: pos as u64, tail }
}

/// The checksum guarding a record's payload (its length is included, so a record cannot be
/// spliced onto another record's header).
fn payload_crc(len: &[u8; 4], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(len);
    h.update(payload);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_in_place_gives_the_same_bytes() {
        let payload: Vec<u8> = (0..200u8).collect();
        let mut a = vec![9, 9];
        frame(&payload, &mut a);
        let mut b = vec![9, 9];
        frame_in_place(&mut b, 0, |out| out.extend_from_slice(&payload));
        assert_eq!(a, b);
    }

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
            // Never a wrong record, and never mistaken for a torn write (which a protocol may
            // discard): a flipped bit in durable data is always reported as corruption.
            let bad = if i / 8 < first { 0 } else { first as u64 };
            assert_eq!(r.tail, Tail::Corrupt { at: bad }, "bit {i}");
            for rec in &r.records {
                assert!(rec == b"alpha", "bit {i} produced a bogus record {rec:?}");
            }
            assert_eq!(r.valid_len, bad);
        }
    }

    #[test]
    fn zeroed_region_is_corruption_not_a_record() {
        // A hole of zeros (a lost write the device never made) must not parse as a record.
        let mut bytes = log(&[b"alpha"]);
        bytes.extend_from_slice(&[0u8; 32]);
        let r = recover(&bytes);
        assert_eq!(r.records, vec![b"alpha".to_vec()]);
        assert_eq!(r.tail, Tail::Corrupt { at: (FRAME_HEADER + 5) as u64 });
    }

    #[test]
    fn impossible_length_is_corruption() {
        let mut bytes = Vec::new();
        let len = ((MAX_RECORD + 1) as u32).to_le_bytes();
        bytes.extend_from_slice(&len);
        bytes.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
        bytes.extend_from_slice(&[0u8; 4]);
        assert_eq!(recover(&bytes).tail, Tail::Corrupt { at: 0 });
    }
}
