//! Plain (XCDR1) CDR encoding as ROS 2 (rmw_fastrtps / rmw_cyclonedds / rmw_zenoh) uses it.
//!
//! A serialised message is a 4-byte encapsulation header followed by the body. The header is
//! `00 01 00 00` for little-endian CDR (what Kestrel writes) and `00 00 00 00` for big-endian
//! CDR (accepted on read). Every primitive of size `n` (1, 2, 4 or 8 bytes) is aligned to a
//! multiple of `n` **relative to the start of the body**, i.e. after the header. Strings are a
//! `u32` length (including the terminating NUL), the bytes, and the NUL; sequences are a `u32`
//! element count followed by the elements; fixed arrays are the elements only.

use crate::error::CdrError;

/// Size of the encapsulation header.
pub const HEADER_LEN: usize = 4;
/// Encapsulation header for little-endian plain CDR.
pub const HEADER_CDR_LE: [u8; 4] = [0x00, 0x01, 0x00, 0x00];

/// Appends CDR-encoded values to a buffer that starts with the little-endian header.
#[derive(Debug, Clone)]
pub struct CdrWriter {
    buf: Vec<u8>,
}

impl Default for CdrWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl CdrWriter {
    /// A writer holding just the little-endian encapsulation header.
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    /// Like [`CdrWriter::new`], reserving `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity.max(HEADER_LEN));
        buf.extend_from_slice(&HEADER_CDR_LE);
        Self { buf }
    }

    /// Pads with zero bytes until the body length is a multiple of `n`.
    pub fn align(&mut self, n: usize) {
        let body = self.buf.len() - HEADER_LEN;
        let pad = (n - body % n) % n;
        self.buf.resize(self.buf.len() + pad, 0);
    }

    fn put<const N: usize>(&mut self, bytes: [u8; N]) {
        self.align(N);
        self.buf.extend_from_slice(&bytes);
    }

    /// Writes a `u8` / `byte` / `char`.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// Writes an `int8`.
    pub fn i8(&mut self, v: i8) {
        self.put(v.to_le_bytes());
    }
    /// Writes a `bool` as one byte 0 / 1.
    pub fn bool(&mut self, v: bool) {
        self.buf.push(v as u8);
    }
    /// Writes a `uint16`.
    pub fn u16(&mut self, v: u16) {
        self.put(v.to_le_bytes());
    }
    /// Writes an `int16`.
    pub fn i16(&mut self, v: i16) {
        self.put(v.to_le_bytes());
    }
    /// Writes a `uint32`.
    pub fn u32(&mut self, v: u32) {
        self.put(v.to_le_bytes());
    }
    /// Writes an `int32`.
    pub fn i32(&mut self, v: i32) {
        self.put(v.to_le_bytes());
    }
    /// Writes a `uint64`.
    pub fn u64(&mut self, v: u64) {
        self.put(v.to_le_bytes());
    }
    /// Writes an `int64`.
    pub fn i64(&mut self, v: i64) {
        self.put(v.to_le_bytes());
    }
    /// Writes a `float32`.
    pub fn f32(&mut self, v: f32) {
        self.put(v.to_le_bytes());
    }
    /// Writes a `float64`.
    pub fn f64(&mut self, v: f64) {
        self.put(v.to_le_bytes());
    }

    /// Writes a sequence length (`u32`).
    pub fn length(&mut self, what: &'static str, len: usize) -> Result<(), CdrError> {
        let n = u32::try_from(len).map_err(|_| CdrError::TooLong { what, len })?;
        self.u32(n);
        Ok(())
    }

    /// Writes raw bytes with no alignment (the elements of a `uint8[]`).
    pub fn bytes(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Writes a `string`: length including NUL, bytes, NUL.
    pub fn string(&mut self, s: &str) -> Result<(), CdrError> {
        self.length("string", s.len() + 1)?;
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        Ok(())
    }

    /// The serialised message, header included.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads CDR-encoded values from a payload that starts with an encapsulation header.
#[derive(Debug, Clone)]
pub struct CdrReader<'a> {
    data: &'a [u8],
    pos: usize,
    little_endian: bool,
}

macro_rules! read_primitive {
    ($(#[$m:meta])* $name:ident, $t:ty) => {
        $(#[$m])*
        pub fn $name(&mut self) -> Result<$t, CdrError> {
            const N: usize = std::mem::size_of::<$t>();
            let b: [u8; N] = self.take_aligned(stringify!($t), N)?.try_into().map_err(|_| {
                CdrError::InvalidValue { offset: self.pos, reason: "short read".into() }
            })?;
            Ok(if self.little_endian { <$t>::from_le_bytes(b) } else { <$t>::from_be_bytes(b) })
        }
    };
}

impl<'a> CdrReader<'a> {
    /// Checks the encapsulation header and positions the reader at the start of the body.
    pub fn new(data: &'a [u8]) -> Result<Self, CdrError> {
        let Some(header) = data.first_chunk::<4>() else {
            return Err(CdrError::Truncated {
                what: "encapsulation header",
                offset: 0,
                needed: HEADER_LEN,
                available: data.len(),
            });
        };
        let little_endian = match (header[0], header[1]) {
            (0, 1) => true,
            (0, 0) => false,
            _ => return Err(CdrError::Encapsulation(*header)),
        };
        Ok(Self {
            data,
            pos: HEADER_LEN,
            little_endian,
        })
    }

    /// Byte offset of the next read from the start of the payload (header included).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Skips padding so that the body offset is a multiple of `n`.
    pub fn align(&mut self, n: usize) -> Result<(), CdrError> {
        let body = self.pos - HEADER_LEN;
        let pad = (n - body % n) % n;
        if pad > self.remaining() {
            return Err(CdrError::Truncated {
                what: "alignment padding",
                offset: self.pos,
                needed: pad,
                available: self.remaining(),
            });
        }
        self.pos += pad;
        Ok(())
    }

    /// Takes `n` raw bytes with no alignment.
    pub fn take(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], CdrError> {
        if n > self.remaining() {
            return Err(CdrError::Truncated {
                what,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn take_aligned(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], CdrError> {
        self.align(n)?;
        self.take(what, n)
    }

    /// Reads a `u8` / `byte` / `char`.
    pub fn u8(&mut self) -> Result<u8, CdrError> {
        Ok(self.take("u8", 1)?[0])
    }
    read_primitive!(
        /// Reads an `int8`.
        i8, i8
    );
    /// Reads a `bool` (any non-zero byte is true).
    pub fn bool(&mut self) -> Result<bool, CdrError> {
        Ok(self.u8()? != 0)
    }
    read_primitive!(
        /// Reads a `uint16`.
        u16, u16
    );
    read_primitive!(
        /// Reads an `int16`.
        i16, i16
    );
    read_primitive!(
        /// Reads a `uint32`.
        u32, u32
    );
    read_primitive!(
        /// Reads an `int32`.
        i32, i32
    );
    read_primitive!(
        /// Reads a `uint64`.
        u64, u64
    );
    read_primitive!(
        /// Reads an `int64`.
        i64, i64
    );
    read_primitive!(
        /// Reads a `float32`.
        f32, f32
    );
    read_primitive!(
        /// Reads a `float64`.
        f64, f64
    );

    /// Reads a sequence length and checks that `len * min_element_size` bytes can follow, so a
    /// corrupt length never triggers a huge allocation.
    pub fn length(&mut self, min_element_size: usize) -> Result<usize, CdrError> {
        let offset = self.pos;
        let n = self.u32()? as usize;
        if n.saturating_mul(min_element_size.max(1)) > self.remaining() {
            return Err(CdrError::InvalidValue {
                offset,
                reason: format!(
                    "sequence of {n} elements cannot fit in the {} bytes left",
                    self.remaining()
                ),
            });
        }
        Ok(n)
    }

    /// Reads a `string` (UTF-8, NUL-terminated; a zero length is accepted as empty).
    pub fn string(&mut self) -> Result<String, CdrError> {
        let offset = self.pos;
        let n = self.length(1)?;
        if n == 0 {
            return Ok(String::new());
        }
        let bytes = self.take("string", n)?;
        let (last, text) = bytes.split_last().unwrap_or((&0, &[]));
        if *last != 0 {
            return Err(CdrError::InvalidString {
                offset,
                reason: "missing NUL terminator",
            });
        }
        String::from_utf8(text.to_vec()).map_err(|_| CdrError::InvalidString {
            offset,
            reason: "not UTF-8",
        })
    }

    /// Checks that the message consumed the payload: at most 3 bytes of final padding may
    /// remain (writers pad the payload to a multiple of 4).
    pub fn finish(&self) -> Result<(), CdrError> {
        let extra = self.remaining();
        if extra > 3 {
            return Err(CdrError::TrailingBytes {
                offset: self.pos,
                extra,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_is_relative_to_the_body() {
        let mut w = CdrWriter::new();
        w.u8(7);
        w.f64(1.0);
        w.u16(3);
        w.u32(9);
        let b = w.finish();
        // header, u8, 7 pad, f64, u16, 2 pad, u32
        assert_eq!(b.len(), 4 + 1 + 7 + 8 + 2 + 2 + 4);
        assert_eq!(&b[..5], &[0, 1, 0, 0, 7]);
        assert_eq!(&b[12..20], &1.0f64.to_le_bytes());
        let mut r = CdrReader::new(&b).unwrap();
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.f64().unwrap(), 1.0);
        assert_eq!(r.u16().unwrap(), 3);
        assert_eq!(r.u32().unwrap(), 9);
        r.finish().unwrap();
    }

    #[test]
    fn reads_big_endian() {
        let b = [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, b'a', b'b', 0];
        let mut r = CdrReader::new(&b).unwrap();
        assert_eq!(r.u32().unwrap(), 2);
        assert_eq!(r.string().unwrap(), "ab");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(
            CdrReader::new(&[0, 1]),
            Err(CdrError::Truncated { .. })
        ));
        assert!(matches!(
            CdrReader::new(&[0, 7, 0, 0]),
            Err(CdrError::Encapsulation(_))
        ));
        let huge = [0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 1];
        let mut r = CdrReader::new(&huge).unwrap();
        assert!(matches!(
            r.length(1),
            Err(CdrError::InvalidValue { offset: 4, .. })
        ));
        let unterminated = [0, 1, 0, 0, 2, 0, 0, 0, b'a', b'b'];
        let mut r = CdrReader::new(&unterminated).unwrap();
        assert!(matches!(r.string(), Err(CdrError::InvalidString { .. })));
        let mut r = CdrReader::new(&[0, 1, 0, 0, 1, 2]).unwrap();
        assert!(matches!(
            r.u32(),
            Err(CdrError::Truncated { offset: 4, .. })
        ));
    }
}
