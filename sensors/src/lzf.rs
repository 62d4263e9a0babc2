//! LZF decompression (Marc Lehmann's liblzf format), as PCL uses for PCD `binary_compressed`
//! data. Every read and back-reference is bounds-checked: malformed input is an error, never a
//! panic or an out-of-bounds read.

/// Why a buffer is not valid LZF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LzfError {
    /// The input ends inside a literal run or a back-reference at this input offset.
    Truncated(usize),
    /// A back-reference at this input offset points before the start of the output.
    BadReference(usize),
    /// The output would exceed the declared size.
    Overflow,
    /// The output is shorter than the declared size.
    Short {
        /// Declared size.
        expected: usize,
        /// Bytes produced.
        actual: usize,
    },
}

impl std::fmt::Display for LzfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LzfError::Truncated(at) => write!(f, "LZF data truncated at byte {at}"),
            LzfError::BadReference(at) => write!(f, "LZF back-reference out of range at byte {at}"),
            LzfError::Overflow => write!(f, "LZF data decodes to more than the declared size"),
            LzfError::Short { expected, actual } => {
                write!(f, "LZF data decodes to {actual} bytes, {expected} declared")
            }
        }
    }
}

/// Decompresses `input` into exactly `size` bytes.
pub fn decompress(input: &[u8], size: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let mut ip = 0;
    while ip < input.len() {
        let at = ip;
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            // A run of ctrl + 1 literal bytes.
            let run = input
                .get(ip..ip + ctrl + 1)
                .ok_or(LzfError::Truncated(at))?;
            if out.len() + run.len() > size {
                return Err(LzfError::Overflow);
            }
            out.extend_from_slice(run);
            ip += ctrl + 1;
        } else {
            // A back-reference: length in the top 3 bits (7 = extended), offset in the rest.
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError::Truncated(at))? as usize;
                ip += 1;
            }
            let low = *input.get(ip).ok_or(LzfError::Truncated(at))? as usize;
            ip += 1;
            let distance = ((ctrl & 0x1f) << 8) + low + 1;
            let start = out
                .len()
                .checked_sub(distance)
                .ok_or(LzfError::BadReference(at))?;
            let len = len + 2;
            if out.len() + len > size {
                return Err(LzfError::Overflow);
            }
            // Byte by byte: the source may overlap what is being written.
            for k in 0..len {
                out.push(out[start + k]);
            }
        }
    }
    if out.len() != size {
        return Err(LzfError::Short {
            expected: size,
            actual: out.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_literals_and_overlapping_references() {
        // "abcabcabcabc": literal "abc" (ctrl 2), then a reference of 9 bytes at distance 3
        // (len 9 - 2 = 7 -> extended: ctrl 0xE0 | 0, extra byte 0, offset byte 2).
        let data = [2, b'a', b'b', b'c', 0xE0, 0, 2];
        assert_eq!(decompress(&data, 12).unwrap(), b"abcabcabcabc");
        // Short reference: "aaaa" = literal "a", ref len 3 (ctrl (1 << 5)), distance 1.
        assert_eq!(decompress(&[0, b'a', 1 << 5, 0], 4).unwrap(), b"aaaa");
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(decompress(&[5, b'a'], 6), Err(LzfError::Truncated(0)));
        assert_eq!(
            decompress(&[0, b'a', 1 << 5, 5], 4),
            Err(LzfError::BadReference(2))
        );
        assert_eq!(
            decompress(&[2, b'a', b'b', b'c'], 2),
            Err(LzfError::Overflow)
        );
        assert!(matches!(
            decompress(&[0, b'a'], 2),
            Err(LzfError::Short { .. })
        ));
        assert_eq!(decompress(&[0xE0], 10), Err(LzfError::Truncated(0)));
    }
}
