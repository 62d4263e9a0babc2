//! Point Cloud Data (PCD v0.7) files: ASCII header, `ascii` or `binary` data.
//!
//! The reader is driven entirely by the header (`FIELDS`, `SIZE`, `TYPE`, `COUNT`, `WIDTH`,
//! `HEIGHT`, `POINTS`, `DATA`): no field offsets are hard-coded. `binary_compressed` data
//! (PCL's layout: compressed and uncompressed sizes as little-endian u32, then the LZF
//! compressed fields one after another, each field's values for all points contiguous) is
//! decompressed with [`crate::lzf`].

use crate::lidar_bin::DecodedCloud;
use crate::{PointCloud, SensorError, Timestamp};

/// Storage type of a PCD field (`TYPE` letter and `SIZE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcdType {
    /// Signed integer of the given size in bytes (1, 2, 4, 8).
    Int(u8),
    /// Unsigned integer of the given size in bytes (1, 2, 4, 8).
    Uint(u8),
    /// IEEE float of the given size in bytes (4, 8).
    Float(u8),
}

impl PcdType {
    fn size(self) -> usize {
        match self {
            PcdType::Int(s) | PcdType::Uint(s) | PcdType::Float(s) => s as usize,
        }
    }

    fn read_le(self, b: &[u8]) -> f64 {
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        let u = u64::from_le_bytes(buf);
        match self {
            PcdType::Float(4) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            PcdType::Float(_) => f64::from_bits(u),
            PcdType::Uint(_) => u as f64,
            PcdType::Int(s) => {
                let shift = 64 - 8 * u32::from(s);
                (((u << shift) as i64) >> shift) as f64
            }
        }
    }
}

/// One field of a PCD header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcdField {
    /// Field name (`x`, `rcs`, ...).
    pub name: String,
    /// Storage type.
    pub ty: PcdType,
    /// Elements per point.
    pub count: usize,
}

/// Data section encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcdData {
    /// Whitespace-separated text, one point per line.
    Ascii,
    /// Packed little-endian records.
    Binary,
    /// LZF-compressed, field by field (PCL `binary_compressed`).
    BinaryCompressed,
}

/// A parsed PCD header.
#[derive(Debug, Clone, PartialEq)]
pub struct PcdHeader {
    /// Fields in record order.
    pub fields: Vec<PcdField>,
    /// `WIDTH` x `HEIGHT` = `POINTS`.
    pub width: usize,
    /// Rows (1 for unorganised clouds).
    pub height: usize,
    /// Number of points.
    pub points: usize,
    /// Data encoding.
    pub data: PcdData,
    /// `VIEWPOINT tx ty tz qw qx qy qz`: the acquisition pose of the data (default
    /// `0 0 0 1 0 0 0`, the identity).
    pub viewpoint: [f64; 7],
}

impl PcdHeader {
    /// Bytes per binary record.
    pub fn record_size(&self) -> usize {
        self.fields.iter().map(|f| f.ty.size() * f.count).sum()
    }
}

/// A decoded PCD file: one `f64` column per field (first element when `COUNT` > 1).
#[derive(Debug, Clone, PartialEq)]
pub struct PcdFile {
    /// The header.
    pub header: PcdHeader,
    /// Column per header field, each `points` long, values as stored (units are the
    /// producer's: metres for x/y/z in LiDAR and radar files).
    pub columns: Vec<Vec<f64>>,
    /// Bytes after the last point that the header does not describe (ignored).
    pub trailing_bytes: usize,
}

fn parse_usize(v: &str, what: &str, line: usize) -> Result<usize, SensorError> {
    v.parse()
        .map_err(|_| SensorError::malformed(what, line, format!("`{v}` is not a count")))
}

fn parse_header(bytes: &[u8], what: &str) -> Result<(PcdHeader, usize), SensorError> {
    let (mut names, mut sizes, mut types, mut counts) = (vec![], vec![], vec![], vec![]);
    let (mut width, mut height, mut points) = (None, None, None);
    let mut viewpoint = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];
    let mut pos = 0;
    while pos < bytes.len() {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| pos + i);
        let line = std::str::from_utf8(&bytes[pos..end])
            .map_err(|_| SensorError::malformed(what, pos, "header line is not text"))?
            .trim();
        let line_start = pos;
        pos = (end + 1).min(bytes.len());
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut tok = line.split_whitespace();
        let key = tok.next().unwrap_or_default();
        let vals: Vec<&str> = tok.collect();
        let one = || {
            vals.first().copied().ok_or_else(|| {
                SensorError::malformed(what, line_start, format!("{key} without value"))
            })
        };
        match key {
            "VERSION" => {}
            "VIEWPOINT" => {
                if vals.len() != 7 {
                    return Err(SensorError::malformed(
                        what,
                        line_start,
                        format!("VIEWPOINT needs 7 numbers, has {}", vals.len()),
                    ));
                }
                for (v, text) in viewpoint.iter_mut().zip(&vals) {
                    *v = text
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| {
                            SensorError::malformed(
                                what,
                                line_start,
                                format!("VIEWPOINT value `{text}` is not a finite number"),
                            )
                        })?;
                }
            }
            "FIELDS" => names = vals.iter().map(|s| s.to_string()).collect(),
            "SIZE" => {
                sizes = vals
                    .iter()
                    .map(|v| parse_usize(v, what, line_start))
                    .collect::<Result<_, _>>()?
            }
            "TYPE" => types = vals.iter().map(|s| s.to_string()).collect(),
            "COUNT" => {
                counts = vals
                    .iter()
                    .map(|v| parse_usize(v, what, line_start))
                    .collect::<Result<_, _>>()?
            }
            "WIDTH" => width = Some(parse_usize(one()?, what, line_start)?),
            "HEIGHT" => height = Some(parse_usize(one()?, what, line_start)?),
            "POINTS" => points = Some(parse_usize(one()?, what, line_start)?),
            "DATA" => {
                let data = match one()? {
                    "ascii" => PcdData::Ascii,
                    "binary" => PcdData::Binary,
                    "binary_compressed" => PcdData::BinaryCompressed,
                    other => {
                        return Err(SensorError::Unsupported {
                            what: what.into(),
                            reason: format!("DATA {other}"),
                        });
                    }
                };
                if counts.is_empty() {
                    counts = vec![1; names.len()];
                }
                if names.is_empty()
                    || sizes.len() != names.len()
                    || types.len() != names.len()
                    || counts.len() != names.len()
                {
                    return Err(SensorError::malformed(
                        what,
                        line_start,
                        "FIELDS/SIZE/TYPE/COUNT lengths differ",
                    ));
                }
                let mut fields = Vec::with_capacity(names.len());
                for (((name, size), ty), count) in names.iter().zip(&sizes).zip(&types).zip(&counts)
                {
                    let ty = match (ty.as_str(), size) {
                        ("F", 4 | 8) => PcdType::Float(*size as u8),
                        ("I", 1 | 2 | 4 | 8) => PcdType::Int(*size as u8),
                        ("U", 1 | 2 | 4 | 8) => PcdType::Uint(*size as u8),
                        _ => {
                            return Err(SensorError::malformed(
                                what,
                                line_start,
                                format!("field {name}: TYPE {ty} SIZE {size}"),
                            ));
                        }
                    };
                    if *count == 0 || *count > 1024 {
                        return Err(SensorError::malformed(
                            what,
                            line_start,
                            format!("field {name}: COUNT {count}"),
                        ));
                    }
                    fields.push(PcdField {
                        name: name.clone(),
                        ty,
                        count: *count,
                    });
                }
                let width =
                    width.ok_or_else(|| SensorError::malformed(what, line_start, "no WIDTH"))?;
                let height = height.unwrap_or(1);
                let points = points.unwrap_or(width.saturating_mul(height));
                if width.checked_mul(height) != Some(points) {
                    return Err(SensorError::malformed(
                        what,
                        line_start,
                        format!("WIDTH {width} x HEIGHT {height} != POINTS {points}"),
                    ));
                }
                return Ok((
                    PcdHeader {
                        fields,
                        width,
                        height,
                        points,
                        data,
                        viewpoint,
                    },
                    pos,
                ));
            }
            other => {
                return Err(SensorError::malformed(
                    what,
                    line_start,
                    format!("unknown header key `{other}`"),
                ));
            }
        }
    }
    Err(SensorError::Truncated {
        what: what.into(),
        offset: bytes.len(),
        needed: 1,
    })
}

impl PcdFile {
    /// Parses PCD bytes; `what` (file name) is used in errors with byte offsets.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self, SensorError> {
        let (header, start) = parse_header(bytes, what)?;
        let body = &bytes[start..];
        let mut columns: Vec<Vec<f64>> = header.fields.iter().map(|_| Vec::new()).collect();
        let trailing_bytes = match header.data {
            PcdData::Binary => {
                let rs = header.record_size();
                let need = header.points.saturating_mul(rs);
                if body.len() < need {
                    let got_points = body.len() / rs.max(1);
                    return Err(SensorError::Truncated {
                        what: what.into(),
                        offset: start + got_points * rs,
                        needed: need - body.len(),
                    });
                }
                for c in columns.iter_mut() {
                    c.reserve_exact(header.points);
                }
                for rec in body[..need].chunks_exact(rs.max(1)) {
                    let mut off = 0;
                    for (f, col) in header.fields.iter().zip(columns.iter_mut()) {
                        col.push(f.ty.read_le(&rec[off..off + f.ty.size()]));
                        off += f.ty.size() * f.count;
                    }
                }
                body.len() - need
            }
            PcdData::BinaryCompressed => {
                let word = |at: usize| {
                    body.get(at..at + 4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                        .ok_or_else(|| SensorError::Truncated {
                            what: what.into(),
                            offset: start + at,
                            needed: at + 4 - body.len().min(at + 4),
                        })
                };
                let (packed, unpacked) = (word(0)?, word(4)?);
                let need = header.points.saturating_mul(header.record_size());
                if unpacked != need {
                    return Err(SensorError::malformed(
                        what,
                        start + 4,
                        format!("binary_compressed: {unpacked} bytes declared, {need} expected"),
                    ));
                }
                let data = body
                    .get(8..8 + packed)
                    .ok_or_else(|| SensorError::Truncated {
                        what: what.into(),
                        offset: start + body.len(),
                        needed: 8 + packed - body.len(),
                    })?;
                let raw = crate::lzf::decompress(data, unpacked)
                    .map_err(|e| SensorError::malformed(what, start + 8, e.to_string()))?;
                let mut at = 0;
                for (f, col) in header.fields.iter().zip(columns.iter_mut()) {
                    let size = f.ty.size();
                    let stride = size * f.count;
                    let block = &raw[at..at + stride * header.points];
                    col.extend(block.chunks_exact(stride).map(|v| f.ty.read_le(&v[..size])));
                    at += stride * header.points;
                }
                body.len() - 8 - packed
            }
            PcdData::Ascii => {
                let text = std::str::from_utf8(body).map_err(|e| {
                    SensorError::malformed(what, start + e.valid_up_to(), "ASCII data is not text")
                })?;
                let per_point: usize = header.fields.iter().map(|f| f.count).sum();
                let mut lines = text.lines().filter(|l| !l.trim().is_empty());
                for i in 0..header.points {
                    let line = lines.next().ok_or_else(|| SensorError::Truncated {
                        what: what.into(),
                        offset: bytes.len(),
                        needed: header.points - i,
                    })?;
                    let vals: Vec<&str> = line.split_whitespace().collect();
                    if vals.len() != per_point {
                        return Err(SensorError::malformed(
                            what,
                            i,
                            format!("point {i}: {} values, expected {per_point}", vals.len()),
                        ));
                    }
                    let mut k = 0;
                    for (f, col) in header.fields.iter().zip(columns.iter_mut()) {
                        let v = vals[k].parse::<f64>().map_err(|_| {
                            SensorError::malformed(
                                what,
                                i,
                                format!("point {i}: `{}` is not a number", vals[k]),
                            )
                        })?;
                        col.push(v);
                        k += f.count;
                    }
                }
                lines.map(str::len).sum()
            }
        };
        Ok(Self {
            header,
            columns,
            trailing_bytes,
        })
    }

    /// Reads and parses a PCD file.
    pub fn load(path: &std::path::Path) -> Result<Self, SensorError> {
        let bytes = std::fs::read(path).map_err(|e| SensorError::io(path, e))?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// The column of field `name`, if the file has it.
    pub fn field(&self, name: &str) -> Option<&[f64]> {
        let i = self.header.fields.iter().position(|f| f.name == name)?;
        Some(&self.columns[i])
    }

    /// The column of field `name`, or a [`SensorError::Malformed`] naming `what`.
    pub fn require(&self, name: &str, what: &str) -> Result<&[f64], SensorError> {
        self.field(name)
            .ok_or_else(|| SensorError::malformed(what, 0, format!("PCD has no field `{name}`")))
    }

    /// The file as a LiDAR cloud of sensor `sensor`: needs `x y z`; takes `intensity` (or
    /// `reflectance`, `i`) and `ring` when present. Non-finite points are skipped and counted.
    pub fn to_point_cloud(
        &self,
        sensor: &str,
        timestamp: Timestamp,
        what: &str,
    ) -> Result<DecodedCloud, SensorError> {
        let (x, y, z) = (
            self.require("x", what)?,
            self.require("y", what)?,
            self.require("z", what)?,
        );
        let intensity = ["intensity", "reflectance", "i"]
            .iter()
            .find_map(|n| self.field(n));
        let ring = self.field("ring");
        let mut cloud =
            PointCloud::with_capacity(sensor, timestamp, x.len(), ring.is_some(), false);
        let mut skipped = 0;
        for i in 0..x.len() {
            let v = intensity.map_or(0.0, |c| c[i]) as f32;
            let r = ring.map_or(0.0, |c| c[i]);
            let p = [x[i] as f32, y[i] as f32, z[i] as f32];
            if p.iter().all(|c| c.is_finite())
                && v.is_finite()
                && (0.0..=u16::MAX as f64).contains(&r)
            {
                cloud.push(p[0], p[1], p[2], v, r as u16, 0);
            } else {
                skipped += 1;
            }
        }
        Ok(DecodedCloud { cloud, skipped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_binary_agree() {
        let head = "VERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 1\nTYPE F F F I\nCOUNT 1 1 1 1\nWIDTH 2\nHEIGHT 1\nPOINTS 2\n";
        let ascii = format!("{head}DATA ascii\n1 2 3 -4\n5 6 7 8\n");
        let a = PcdFile::parse(ascii.as_bytes(), "a").unwrap();
        let mut bin = format!("{head}DATA binary\n").into_bytes();
        for (p, i) in [([1f32, 2., 3.], -4i8), ([5., 6., 7.], 8)] {
            for v in p {
                bin.extend_from_slice(&v.to_le_bytes());
            }
            bin.push(i as u8);
        }
        bin.extend_from_slice(b"junk");
        let b = PcdFile::parse(&bin, "b").unwrap();
        assert_eq!(a.columns, b.columns);
        assert_eq!(b.trailing_bytes, 4);
        assert_eq!(b.field("intensity"), Some(&[-4.0, 8.0][..]));
        assert_eq!(b.header.viewpoint, [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        let c = b.to_point_cloud("l", Timestamp(0), "b").unwrap();
        assert_eq!((c.cloud.len(), c.skipped), (2, 0));
        assert!(matches!(
            PcdFile::parse(&bin[..bin.len() - 6], "b"),
            Err(SensorError::Truncated { .. })
        ));
    }

    #[test]
    fn viewpoint_is_read_and_checked() {
        let head = |vp: &str| {
            format!(
                "VERSION 0.7\nFIELDS x\nSIZE 4\nTYPE F\nCOUNT 1\nWIDTH 1\nHEIGHT 1\nVIEWPOINT {vp}\nPOINTS 1\nDATA ascii\n1\n"
            )
        };
        let f = PcdFile::parse(head("1 2 3 0.5 0.5 0.5 0.5").as_bytes(), "v").unwrap();
        assert_eq!(f.header.viewpoint, [1.0, 2.0, 3.0, 0.5, 0.5, 0.5, 0.5]);
        for bad in ["1 2 3", "1 2 3 nan 0 0 0", "1 2 3 x 0 0 0"] {
            assert!(PcdFile::parse(head(bad).as_bytes(), "v").is_err(), "{bad}");
        }
    }

    #[test]
    fn binary_compressed_matches_binary() {
        // Two points (x f32, i u8) stored field by field; LZF of 10 bytes as one literal run.
        let soa = [1f32.to_le_bytes(), 5f32.to_le_bytes()].concat();
        let mut raw = soa.clone();
        raw.extend_from_slice(&[7u8, 9]);
        let mut lzf = vec![raw.len() as u8 - 1];
        lzf.extend_from_slice(&raw);
        let mut file = b"VERSION 0.7\nFIELDS x i\nSIZE 4 1\nTYPE F U\nCOUNT 1 1\nWIDTH 2\nHEIGHT 1\nPOINTS 2\nDATA binary_compressed\n".to_vec();
        file.extend_from_slice(&(lzf.len() as u32).to_le_bytes());
        file.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        file.extend_from_slice(&lzf);
        let f = PcdFile::parse(&file, "c").unwrap();
        assert_eq!(f.field("x"), Some(&[1.0, 5.0][..]));
        assert_eq!(f.field("i"), Some(&[7.0, 9.0][..]));
        // Truncated, wrong declared size, corrupt stream: errors, no panic.
        assert!(PcdFile::parse(&file[..file.len() - 3], "c").is_err());
        let mut wrong = file.clone();
        let n = wrong.len();
        wrong[n - lzf.len() - 4] = 11;
        assert!(PcdFile::parse(&wrong, "c").is_err());
        let mut corrupt = file.clone();
        corrupt[n - lzf.len()] = 0xE0;
        assert!(PcdFile::parse(&corrupt, "c").is_err());
    }
}
