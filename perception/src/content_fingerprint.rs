//! A cheap fingerprint of a message's content, to tell a frozen sensor (one that keeps
//! delivering the same data under fresh stamps) from a live one: real sensors never repeat a
//! frame bit for bit, because of noise.
//!
//! Camera: xxh3 of every 8th image row (a sixteenth of a 1080p frame is hashed in about
//! 0.05 ms) plus the size; LiDAR: the bits of every 8th point's coordinates plus the count;
//! radar: every detection's position and Doppler. Odometry has none (a vehicle standing still
//! legitimately repeats its pose).

use kestrel_sensors::SensorMessage;
use xxhash_rust::xxh3::Xxh3;

/// Rows (points) skipped between the ones hashed.
const STRIDE: usize = 8;

/// The fingerprint of `msg`'s content, or `None` for kinds that may repeat legitimately.
pub fn content_fingerprint(msg: &SensorMessage) -> Option<u64> {
    let mut h = Xxh3::new();
    match msg {
        SensorMessage::Camera(f) => {
            let row = f.width as usize * f.encoding.bytes_per_pixel();
            h.update(&[f.width, f.height].map(u32::to_le_bytes).concat());
            if row > 0 {
                for r in f.data.chunks(row).step_by(STRIDE) {
                    h.update(r);
                }
            }
        }
        SensorMessage::Lidar(c) => {
            h.update(&(c.x.len() as u64).to_le_bytes());
            for i in (0..c.x.len()).step_by(STRIDE) {
                for v in [c.x[i], c.y[i], c.z[i]] {
                    h.update(&v.to_bits().to_le_bytes());
                }
            }
        }
        SensorMessage::Radar(r) => {
            h.update(&(r.detections.len() as u64).to_le_bytes());
            for d in &r.detections {
                for v in [d.position.x, d.position.y, d.position.z, d.radial_velocity] {
                    h.update(&v.to_bits().to_le_bytes());
                }
            }
        }
        SensorMessage::Odometry(_) => return None,
    }
    Some(h.digest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{CameraFrame, PixelEncoding, Timestamp};

    fn frame(t: u64, data: Vec<u8>) -> SensorMessage {
        SensorMessage::Camera(
            CameraFrame::new("cam", Timestamp(t), 4, 16, PixelEncoding::Mono8, data).unwrap(),
        )
    }

    #[test]
    fn same_content_same_print_whatever_the_stamp() {
        let data: Vec<u8> = (0..64).collect();
        let a = content_fingerprint(&frame(1, data.clone()));
        assert_eq!(a, content_fingerprint(&frame(2, data.clone())));
        let mut other = data;
        other[0] ^= 1; // first row is hashed
        assert_ne!(a, content_fingerprint(&frame(1, other)));
    }
}
