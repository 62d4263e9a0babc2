//! Live Ouster LiDAR straight from the sensor's UDP lidar stream (`kestrel run --input
//! ouster`): datagrams from a bound socket go through the same packet decoder and frame
//! assembler as a pcap capture (`kestrel_sensors::ouster`), so a live rotation gives the same
//! point cloud as the same packets read from a file. A frame is complete when the first packet
//! of the next one arrives; the rotation in progress when the run stops is emitted last.
//!
//! Points are in the Ouster sensor frame and stamped on the sensor's clock (the first column's
//! timestamp): to fuse with other sensors, run the sensor PTP-synchronised
//! (`timestamp_mode = TIME_FROM_PTP_1588`) with the rest of the vehicle.

use crate::error::PerceptionError;
use crate::live_input::{LiveControl, POLL};
use crate::sensor_source::SensorSource;
use kestrel_sensors::ouster::metadata::OusterMetadata;
use kestrel_sensors::ouster::udp_source::UdpPacketSource;
use kestrel_sensors::ouster::xyz::XyzLut;
use kestrel_sensors::ouster::{OusterStream, frame::OusterFrame};
use kestrel_sensors::{SensorError, SensorMessage};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;

/// The `[inputs.ouster]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OusterInputSettings {
    /// Address to receive the lidar datagrams on (the sensor's `udp_dest` and
    /// `udp_port_lidar`), e.g. `0.0.0.0:7502`.
    pub bind: String,
    /// The sensor's metadata JSON (`ouster-cli source <host> metadata`); empty: none given.
    pub metadata: String,
    /// The LiDAR's name in the rig.
    pub sensor: String,
}

impl Default for OusterInputSettings {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0:7502".into(),
            metadata: String::new(),
            sensor: "ouster".into(),
        }
    }
}

/// Frames from a live Ouster UDP stream, as point clouds.
pub struct OusterUdpStream {
    socket: UdpPacketSource,
    stream: OusterStream,
    lut: XyzLut,
    sensor: String,
    control: LiveControl,
    ready: VecDeque<OusterFrame>,
    finished: bool,
    packets: u64,
}

impl OusterUdpStream {
    /// Binds `bind` for the sensor `metadata` describes, delivering clouds of `sensor`.
    pub fn bind(
        bind: SocketAddr,
        metadata: &OusterMetadata,
        sensor: &str,
        control: LiveControl,
    ) -> Result<Self, PerceptionError> {
        let err = |e: SensorError| PerceptionError::Source {
            source_name: format!("ouster udp {bind}"),
            message: e.to_string(),
        };
        Ok(Self {
            socket: UdpPacketSource::bind(bind, POLL).map_err(err)?,
            stream: OusterStream::new(metadata).map_err(err)?,
            lut: XyzLut::new(metadata),
            sensor: sensor.to_owned(),
            control,
            ready: VecDeque::new(),
            finished: false,
            packets: 0,
        })
    }

    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, PerceptionError> {
        self.socket
            .local_addr()
            .map_err(|e| PerceptionError::Source {
                source_name: "ouster udp".into(),
                message: e.to_string(),
            })
    }

    fn cloud(&self, frame: &OusterFrame) -> SensorMessage {
        let decoded = frame.to_point_cloud(&self.lut, &self.sensor);
        if decoded.skipped > 0 || frame.missing_columns > 0 {
            tracing::warn!(
                "ouster frame {}: {} columns missing, {} returns skipped",
                frame.frame_id,
                frame.missing_columns,
                decoded.skipped
            );
        }
        SensorMessage::Lidar(decoded.cloud)
    }
}

impl Iterator for OusterUdpStream {
    type Item = Result<SensorMessage, PerceptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Some(Ok(self.cloud(&frame)));
            }
            if self.finished {
                return None;
            }
            if self.control.should_stop() {
                self.finished = true;
                self.ready.extend(self.stream.finish());
                continue;
            }
            let payload = match self.socket.recv() {
                Ok(p) => p,
                Err(SensorError::Network { source, .. })
                    if matches!(
                        source.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => {
                    return Some(Err(PerceptionError::Source {
                        source_name: "ouster udp".into(),
                        message: e.to_string(),
                    }));
                }
            };
            self.control.on_input();
            self.packets += 1;
            match self
                .stream
                .push(payload, &format!("udp packet {}", self.packets))
            {
                Ok(frames) => self.ready.extend(frames),
                Err(e) => {
                    return Some(Err(PerceptionError::Source {
                        source_name: "ouster udp".into(),
                        message: e.to_string(),
                    }));
                }
            }
        }
    }
}

/// The live Ouster source of `settings` (metadata from `settings.metadata`).
pub fn open_ouster(
    settings: &OusterInputSettings,
    control: LiveControl,
) -> Result<SensorSource, PerceptionError> {
    if settings.metadata.is_empty() {
        return Err(PerceptionError::Config(
            "live Ouster input needs the sensor metadata JSON: [inputs.ouster] metadata or \
             --ouster-metadata"
                .into(),
        ));
    }
    let bind: SocketAddr = settings.bind.parse().map_err(|e| {
        PerceptionError::Config(format!("inputs.ouster.bind `{}`: {e}", settings.bind))
    })?;
    let meta = OusterMetadata::load(Path::new(&settings.metadata)).map_err(|e| {
        PerceptionError::Config(format!("Ouster metadata {}: {e}", settings.metadata))
    })?;
    let stream = OusterUdpStream::bind(bind, &meta, &settings.sensor, control)?;
    tracing::info!("ouster: receiving lidar packets on {bind}");
    Ok(SensorSource::new(
        format!("ouster:{bind}"),
        vec![settings.sensor.clone()],
        Box::new(stream),
    ))
}
