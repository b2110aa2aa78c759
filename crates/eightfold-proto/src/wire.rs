//! A small, stable binary encoding for protocol messages.
//!
//! Little-endian fixed-width integers and length-prefixed byte strings, written by hand so
//! the bytes a message encodes to never depend on a serialization crate's version: the
//! envelope's MAC is computed over these bytes, and a corrupted bit must land in a field
//! the decoder really reads. Decoding is total: bad input returns `None`, never panics,
//! and never allocates more than the input could hold.

/// Bytes of per-message framing besides the fields (addresses, length, MAC): the same
/// overhead every protocol's messages, and clients' requests and replies, are charged.
pub const HEADER: u32 = 16;

/// Appends encoded fields to a byte vector.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Writer { out }
    }
    /// Writes one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.out.push(v);
        self
    }
    /// Writes a little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.out.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Writes a little-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.out.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Writes a bool as one byte.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }
    /// Writes a length-prefixed byte string.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.out.extend_from_slice(v);
        self
    }
    /// Writes a length-prefixed list of u64.
    pub fn u64s(&mut self, v: &[u64]) -> &mut Self {
        self.u32(v.len() as u32);
        for &x in v {
            self.u64(x);
        }
        self
    }
}

/// Reads fields back; every method returns `None` past the end of the input.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Some(a)
    }
    /// Reads one byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    /// Reads a little-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    /// Reads a little-endian u64.
    pub fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    /// Reads a bool (only 0 and 1 are valid).
    pub fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    /// Reads a length-prefixed byte string.
    pub fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        self.take(n).map(|b| b.to_vec())
    }
    /// Reads a length-prefixed list of u64.
    pub fn u64s(&mut self) -> Option<Vec<u64>> {
        let n = self.u32()? as usize;
        if n > self.buf.len() / 8 {
            return None;
        }
        (0..n).map(|_| self.u64()).collect()
    }
    /// Returns `v` only if the whole input was consumed (trailing bytes are an error).
    pub fn finish<T>(self, v: T) -> Option<T> {
        if self.buf.is_empty() { Some(v) } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_truncation() {
        let mut buf = Vec::new();
        Writer::new(&mut buf).u8(7).u32(9).u64(u64::MAX).bool(true).bytes(b"abc").u64s(&[1, 2]);
        let mut r = Reader::new(&buf);
        assert_eq!(r.u8(), Some(7));
        assert_eq!(r.u32(), Some(9));
        assert_eq!(r.u64(), Some(u64::MAX));
        assert_eq!(r.bool(), Some(true));
        assert_eq!(r.bytes().as_deref(), Some(&b"abc"[..]));
        assert_eq!(r.u64s(), Some(vec![1, 2]));
        assert_eq!(r.finish(()), Some(()));
        for cut in 0..buf.len() {
            let mut r = Reader::new(&buf[..cut]);
            let all = (|| {
                r.u8()?;
                r.u32()?;
                r.u64()?;
                r.bool()?;
                r.bytes()?;
                r.u64s()
            })();
            assert!(all.is_none(), "truncated at {cut} must not decode");
        }
    }

    #[test]
    fn huge_length_prefix_does_not_allocate() {
        let mut buf = Vec::new();
        Writer::new(&mut buf).u32(u32::MAX);
        assert!(Reader::new(&buf).u64s().is_none());
        assert!(Reader::new(&buf).bytes().is_none());
    }
}
