//! Ouster lidar UDP packet layouts and decoding.
//!
//! Supported profiles: `LEGACY` (firmware up to 2.1 and the default after) and
//! `RNG15_RFL8_NIR8` (the low-data-rate profile of firmware 2.2+). Other profiles are
//! [`SensorError::Unsupported`]; a packet whose size does not match the metadata is
//! [`SensorError::Malformed`].

use super::metadata::OusterMetadata;
use crate::SensorError;

/// A lidar UDP profile this crate decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LidarProfile {
    /// 16-byte column header (timestamp, measurement id, frame id, encoder), 12-byte pixels
    /// (range 20 bits mm, reflectivity, signal, near-IR as u16), 4-byte column status.
    Legacy,
    /// 32-byte packet header (type, frame id, init id, serial), 12-byte column header
    /// (timestamp, measurement id, status), 4-byte pixels (range 15 bits in 8 mm units,
    /// reflectivity u8, near-IR u8), 32-byte packet footer.
    Rng15Rfl8Nir8,
}

impl LidarProfile {
    /// The profile named `name` in metadata (`LEGACY`, `RNG15_RFL8_NIR8`).
    pub fn from_name(name: &str) -> Result<Self, SensorError> {
        match name {
            "LEGACY" => Ok(LidarProfile::Legacy),
            "RNG15_RFL8_NIR8" => Ok(LidarProfile::Rng15Rfl8Nir8),
            other => Err(SensorError::Unsupported {
                what: "Ouster metadata".into(),
                reason: format!("udp_profile_lidar `{other}` has no decoder"),
            }),
        }
    }

    fn sizes(self) -> (usize, usize, usize, usize, usize) {
        // packet header, column header, pixel, column footer, packet footer
        match self {
            LidarProfile::Legacy => (0, 16, 12, 4, 0),
            LidarProfile::Rng15Rfl8Nir8 => (32, 12, 4, 0, 32),
        }
    }
}

/// Header of one measurement column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnHeader {
    /// Sensor timestamp of the column, nanoseconds on the sensor clock.
    pub timestamp_ns: u64,
    /// Measurement id = column index in the frame, 0..columns_per_frame.
    pub measurement_id: u16,
    /// Frame id (rolls over at 65 536).
    pub frame_id: u16,
    /// Encoder count (legacy only; 0 otherwise).
    pub encoder_count: u32,
    /// Raw status word (legacy: 0xFFFFFFFF valid; newer: bit 0 valid).
    pub status: u32,
    /// True when the sensor marks the column's data valid.
    pub valid: bool,
}

/// One decoded lidar packet: `columns.len()` columns of `pixels` beams; pixel arrays are
/// column-major (`[column * pixels + beam]`).
#[derive(Debug, Clone, PartialEq)]
pub struct LidarPacket {
    /// Column headers.
    pub columns: Vec<ColumnHeader>,
    /// Beams per column.
    pub pixels: usize,
    /// Range, millimetres (0 = no return).
    pub range_mm: Vec<u32>,
    /// Calibrated reflectivity as sent.
    pub reflectivity: Vec<u16>,
    /// Signal photons (legacy only; 0 otherwise).
    pub signal: Vec<u16>,
    /// Near-infrared ambient photons as sent.
    pub near_ir: Vec<u16>,
}

/// Decodes packets of one sensor configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketDecoder {
    /// The profile.
    pub profile: LidarProfile,
    pixels: usize,
    columns_per_packet: usize,
    columns_per_frame: usize,
    initialization_id: Option<u32>,
    prod_sn: Option<u64>,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from(u32_at(b, o)) | (u64::from(u32_at(b, o + 4)) << 32)
}

impl PacketDecoder {
    /// A decoder for the sensor `meta` describes; unsupported profiles are an error.
    pub fn new(meta: &OusterMetadata) -> Result<Self, SensorError> {
        Ok(Self {
            profile: LidarProfile::from_name(&meta.udp_profile_lidar)?,
            pixels: meta.pixels_per_column,
            columns_per_packet: meta.columns_per_packet,
            columns_per_frame: meta.columns_per_frame,
            initialization_id: meta.initialization_id,
            prod_sn: meta.prod_sn,
        })
    }

    /// Bytes of one lidar packet (UDP payload).
    pub fn packet_size(&self) -> usize {
        let (ph, ch, px, cf, pf) = self.profile.sizes();
        ph + self.columns_per_packet * (ch + self.pixels * px + cf) + pf
    }

    /// Decodes one UDP payload; `what` names the source (file + packet index) in errors.
    pub fn decode(&self, b: &[u8], what: &str) -> Result<LidarPacket, SensorError> {
        if b.len() != self.packet_size() {
            return Err(SensorError::malformed(
                what,
                0,
                format!(
                    "{} bytes, but a {:?} packet of {} columns x {} beams has {}",
                    b.len(),
                    self.profile,
                    self.columns_per_packet,
                    self.pixels,
                    self.packet_size()
                ),
            ));
        }
        let (ph, ch, px, cf, _) = self.profile.sizes();
        let mut packet_frame = 0;
        if self.profile == LidarProfile::Rng15Rfl8Nir8 {
            let packet_type = u16_at(b, 0);
            packet_frame = u16_at(b, 2);
            let init = u32_at(b, 4) & 0xFF_FFFF;
            let sn = (u64_at(b, 4) >> 24) & 0xFF_FFFF_FFFF;
            if packet_type != 1 {
                return Err(SensorError::malformed(
                    what,
                    0,
                    format!("packet type {packet_type}, expected 1 (lidar)"),
                ));
            }
            if self.initialization_id.is_some_and(|i| i != init)
                || self.prod_sn.is_some_and(|s| s != sn)
            {
                return Err(SensorError::malformed(
                    what,
                    4,
                    format!(
                        "packet from init_id {init} / serial {sn}, metadata says {:?} / {:?}",
                        self.initialization_id, self.prod_sn
                    ),
                ));
            }
        }
        let n = self.columns_per_packet * self.pixels;
        let mut p = LidarPacket {
            columns: Vec::with_capacity(self.columns_per_packet),
            pixels: self.pixels,
            range_mm: Vec::with_capacity(n),
            reflectivity: Vec::with_capacity(n),
            signal: Vec::with_capacity(n),
            near_ir: Vec::with_capacity(n),
        };
        let col_size = ch + self.pixels * px + cf;
        for c in 0..self.columns_per_packet {
            let o = ph + c * col_size;
            let measurement_id = u16_at(b, o + 8);
            if usize::from(measurement_id) >= self.columns_per_frame {
                return Err(SensorError::malformed(
                    what,
                    o + 8,
                    format!(
                        "measurement id {measurement_id} >= {}",
                        self.columns_per_frame
                    ),
                ));
            }
            let header = match self.profile {
                LidarProfile::Legacy => {
                    let status = u32_at(b, o + ch + self.pixels * px);
                    ColumnHeader {
                        timestamp_ns: u64_at(b, o),
                        measurement_id,
                        frame_id: u16_at(b, o + 10),
                        encoder_count: u32_at(b, o + 12),
                        status,
                        valid: status == 0xFFFF_FFFF,
                    }
                }
                LidarProfile::Rng15Rfl8Nir8 => {
                    let status = u32::from(u16_at(b, o + 10));
                    ColumnHeader {
                        timestamp_ns: u64_at(b, o),
                        measurement_id,
                        frame_id: packet_frame,
                        encoder_count: 0,
                        status,
                        valid: status & 1 == 1,
                    }
                }
            };
            p.columns.push(header);
            for px_bytes in b[o + ch..o + ch + self.pixels * px].chunks_exact(px) {
                match self.profile {
                    LidarProfile::Legacy => {
                        p.range_mm.push(u32_at(px_bytes, 0) & 0xF_FFFF);
                        p.reflectivity.push(u16_at(px_bytes, 4));
                        p.signal.push(u16_at(px_bytes, 6));
                        p.near_ir.push(u16_at(px_bytes, 8));
                    }
                    LidarProfile::Rng15Rfl8Nir8 => {
                        p.range_mm.push(u32::from(u16_at(px_bytes, 0) & 0x7FFF) * 8);
                        p.reflectivity.push(u16::from(px_bytes[2]));
                        p.signal.push(0);
                        p.near_ir.push(u16::from(px_bytes[3]));
                    }
                }
            }
        }
        Ok(p)
    }
}
