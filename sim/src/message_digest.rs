//! A stable digest of sensor messages and stack outputs: FNV-1a 64 over a canonical byte
//! serialisation (little-endian; floats by their IEEE-754 bits). Same inputs give the same
//! digest on every platform and build; never Rust's `DefaultHasher`.

use crate::observed_object::ObservedObject;
use kestrel_sensors::SensorMessage;

/// Incremental FNV-1a 64 hasher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    /// Feeds raw bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    /// Feeds a `u64` (little-endian).
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// Feeds f32 values by their bits.
    pub fn f32s(&mut self, v: &[f32]) {
        for x in v {
            self.bytes(&x.to_bits().to_le_bytes());
        }
    }

    /// Feeds an f64 by its bits.
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    /// Feeds one sensor message: sensor name, kind, timestamp and every field.
    pub fn message(&mut self, m: &SensorMessage) {
        self.bytes(m.sensor().as_bytes());
        self.bytes(m.kind().as_bytes());
        self.u64(m.timestamp().as_nanos());
        match m {
            SensorMessage::Camera(f) => {
                self.u64(((f.width as u64) << 32) | f.height as u64);
                self.bytes(f.encoding.ros_name().as_bytes());
                self.bytes(&f.data);
            }
            SensorMessage::Lidar(c) => {
                self.u64(c.len() as u64);
                for col in [&c.x, &c.y, &c.z, &c.intensity] {
                    self.f32s(col);
                }
                if let Some(r) = &c.ring {
                    r.iter().for_each(|v| self.bytes(&v.to_le_bytes()));
                }
                if let Some(t) = &c.time_offset_ns {
                    t.iter().for_each(|v| self.bytes(&v.to_le_bytes()));
                }
            }
            SensorMessage::Radar(s) => {
                self.u64(s.detections.len() as u64);
                for d in &s.detections {
                    self.f32s(&[
                        d.position.x,
                        d.position.y,
                        d.position.z,
                        d.radial_velocity,
                        d.rcs,
                    ]);
                    if let Some(v) = d.compensated_velocity {
                        self.f32s(&[v.x, v.y]);
                    }
                    self.bytes(&[d.validity.valid as u8, d.validity.dynamic_property]);
                }
            }
            SensorMessage::Odometry(o) => {
                self.bytes(o.frame_id.as_bytes());
                if let Some(p) = &o.pose {
                    for v in p.translation.vector.iter().chain(p.rotation.coords.iter()) {
                        self.f64(*v);
                    }
                }
                for v in o.linear_velocity.iter().chain(o.angular_velocity.iter()) {
                    self.f64(*v);
                }
            }
        }
    }

    /// Feeds one stack output object.
    pub fn object(&mut self, o: &ObservedObject) {
        for v in [
            o.position.x,
            o.position.y,
            o.position.z,
            o.velocity.x,
            o.velocity.y,
        ] {
            self.f64(v);
        }
        self.bytes(&[o.class.label()]);
        self.u64(o.track_id);
    }

    /// The digest value.
    pub fn value(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values() {
        // FNV-1a 64 test vectors: "" and "a".
        let mut d = Digest::default();
        assert_eq!(d.value(), 0xcbf2_9ce4_8422_2325);
        d.bytes(b"a");
        assert_eq!(d.value(), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(crate::rng::fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
