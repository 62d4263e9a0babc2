//! Ouster lidar: sensor metadata, UDP packet decoding (legacy and `RNG15_RFL8_NIR8`
//! profiles), frame assembly, range -> XYZ, and packet sources (pcap file, live UDP socket).
//!
//! Points are in the Ouster **sensor frame** (x forward, y left, z up, metres; the lidar
//! frame rotated by `lidar_to_sensor_transform`). Times are the sensor's clock, ns.

pub mod frame;
pub mod frame_assembler;
pub mod metadata;
pub mod packet;
pub mod pcap;
pub mod udp_source;
pub mod xyz;

use crate::SensorError;
use frame::OusterFrame;
use frame_assembler::FrameAssembler;
use metadata::OusterMetadata;
use packet::PacketDecoder;
use pcap::{PcapReader, PcapStats};
use std::path::Path;

/// Decoder + assembler: feed lidar packets, get frames.
#[derive(Debug, Clone)]
pub struct OusterStream {
    /// The packet decoder for the sensor's profile.
    pub decoder: PacketDecoder,
    assembler: FrameAssembler,
}

impl OusterStream {
    /// A stream for the sensor `meta` describes (error for unsupported profiles).
    pub fn new(meta: &OusterMetadata) -> Result<Self, SensorError> {
        Ok(Self {
            decoder: PacketDecoder::new(meta)?,
            assembler: FrameAssembler::new(
                meta.pixels_per_column,
                meta.columns_per_frame,
                meta.column_window,
            ),
        })
    }

    /// Decodes one packet and returns the frames it completed (usually none or one).
    /// A packet that does not decode is an error and changes nothing.
    pub fn push(&mut self, payload: &[u8], what: &str) -> Result<Vec<OusterFrame>, SensorError> {
        let p = self.decoder.decode(payload, what)?;
        Ok(self.assembler.push(&p))
    }

    /// The last, possibly incomplete, frame.
    pub fn finish(&mut self) -> Option<OusterFrame> {
        self.assembler.finish()
    }
}

/// Everything decoded from a capture.
#[derive(Debug, Clone)]
pub struct OusterCapture {
    /// Frames in capture order.
    pub frames: Vec<OusterFrame>,
    /// pcap-level counters.
    pub pcap: PcapStats,
    /// Datagrams on ports other than the lidar port (IMU packets, other traffic), skipped.
    pub other_port: usize,
    /// Datagrams on the lidar port that did not decode, skipped.
    pub bad_packets: usize,
    /// The first such decoding error, for reporting.
    pub first_error: Option<String>,
}

/// Reads a classic pcap of sensor `meta` and assembles its frames. Only datagrams to
/// `meta.udp_port_lidar` are decoded; undecodable ones are counted, not fatal. pcap-level
/// damage (bad header, truncated record) is an error.
pub fn read_pcap(path: &Path, meta: &OusterMetadata) -> Result<OusterCapture, SensorError> {
    let file = std::fs::File::open(path).map_err(|e| SensorError::io(path, e))?;
    let what = path.display().to_string();
    let mut reader = PcapReader::new(std::io::BufReader::new(file), &what)?;
    let mut stream = OusterStream::new(meta)?;
    let mut cap = OusterCapture {
        frames: vec![],
        pcap: PcapStats::default(),
        other_port: 0,
        bad_packets: 0,
        first_error: None,
    };
    while let Some(d) = reader.next_datagram()? {
        if d.dst_port != meta.udp_port_lidar {
            cap.other_port += 1;
            continue;
        }
        match stream.push(
            &d.payload,
            &format!("{what} record {}", reader.stats.records),
        ) {
            Ok(frames) => cap.frames.extend(frames),
            Err(e) => {
                cap.bad_packets += 1;
                cap.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    cap.frames.extend(stream.finish());
    cap.pcap = reader.stats;
    Ok(cap)
}
