//! Damage to one message: non-finite points, corrupt pixels and lost points in its decoded
//! content; wire bytes cut short or with flipped bits.

use kestrel_sensors::SensorMessage;
use kestrel_sim::rng::SimRng;
use std::sync::Arc;

/// The non-finite values written in turn.
const NON_FINITE: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

/// Gives a `fraction` of LiDAR points (radar detections) a non-finite coordinate (NaN, +Inf,
/// -Inf in turn, on x, y or z in turn). Returns false for kinds without points.
pub fn non_finite(msg: &mut SensorMessage, fraction: f64, rng: &mut SimRng) -> bool {
    let mut k = 0usize;
    match msg {
        SensorMessage::Lidar(c) => {
            for i in 0..c.x.len() {
                if rng.chance(fraction) {
                    let axis = [&mut c.x, &mut c.y, &mut c.z];
                    let v = NON_FINITE[k % 3];
                    axis.into_iter().nth((k / 3) % 3).expect("three axes")[i] = v;
                    k += 1;
                }
            }
            true
        }
        SensorMessage::Radar(r) => {
            for d in &mut r.detections {
                if rng.chance(fraction) {
                    d.position[(k / 3) % 3] = NON_FINITE[k % 3];
                    k += 1;
                }
            }
            true
        }
        _ => false,
    }
}

/// Turns a `fraction` of a camera frame's pixels black or white (every channel). Returns
/// false for other kinds.
pub fn corrupt_pixels(msg: &mut SensorMessage, fraction: f64, rng: &mut SimRng) -> bool {
    let SensorMessage::Camera(f) = msg else {
        return false;
    };
    let bpp = f.encoding.bytes_per_pixel();
    let mut data = f.data.to_vec();
    for px in data.chunks_exact_mut(bpp) {
        if rng.chance(fraction) {
            let v = if rng.chance(0.5) { 255 } else { 0 };
            px.fill(v);
        }
    }
    f.data = Arc::from(data);
    true
}

/// Keeps a `keep` fraction of a LiDAR sweep's points (chosen at random, order kept). Returns
/// false for other kinds.
pub fn partial_lidar(msg: &mut SensorMessage, keep: f64, rng: &mut SimRng) -> bool {
    let SensorMessage::Lidar(c) = msg else {
        return false;
    };
    let kept: Vec<bool> = (0..c.x.len()).map(|_| rng.chance(keep)).collect();
    fn filter<T: Copy>(v: &mut Vec<T>, kept: &[bool]) {
        let mut i = 0;
        v.retain(|_| {
            i += 1;
            kept[i - 1]
        });
    }
    filter(&mut c.x, &kept);
    filter(&mut c.y, &kept);
    filter(&mut c.z, &kept);
    filter(&mut c.intensity, &kept);
    if let Some(r) = &mut c.ring {
        filter(r, &kept);
    }
    if let Some(t) = &mut c.time_offset_ns {
        filter(t, &kept);
    }
    true
}

/// Cuts `bytes` at a random length shorter than they are.
pub fn truncate(bytes: &mut Vec<u8>, rng: &mut SimRng) {
    let keep = (rng.uniform() * bytes.len() as f64) as usize;
    bytes.truncate(keep.min(bytes.len().saturating_sub(1)));
}

/// Flips `flips` random bits of `bytes`.
pub fn flip_bits(bytes: &mut [u8], flips: u32, rng: &mut SimRng) {
    if bytes.is_empty() {
        return;
    }
    for _ in 0..flips {
        let bit = (rng.next_u64() % (bytes.len() as u64 * 8)) as usize;
        bytes[bit / 8] ^= 1 << (bit % 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{PointCloud, Timestamp};

    fn cloud(n: usize) -> SensorMessage {
        let v: Vec<f32> = (0..n).map(|i| i as f32).collect();
        SensorMessage::Lidar(
            PointCloud::new("l", Timestamp(5), v.clone(), v.clone(), v.clone(), v).unwrap(),
        )
    }

    fn points(m: &SensorMessage) -> &PointCloud {
        match m {
            SensorMessage::Lidar(c) => c,
            _ => unreachable!(),
        }
    }

    #[test]
    fn point_damage_hits_the_share_asked_for() {
        let mut rng = SimRng::new(1);
        let mut m = cloud(10_000);
        assert!(non_finite(&mut m, 0.1, &mut rng));
        let c = points(&m);
        let bad = (0..c.x.len())
            .filter(|&i| !(c.x[i].is_finite() && c.y[i].is_finite() && c.z[i].is_finite()))
            .count();
        assert!((900..1100).contains(&bad), "{bad}");
        assert!(c.x.iter().any(|v| v.is_nan()) && c.z.iter().any(|v| v.is_infinite()));
        let mut m = cloud(10_000);
        assert!(partial_lidar(&mut m, 0.25, &mut rng));
        let c = points(&m);
        assert!((2300..2700).contains(&c.x.len()), "{}", c.x.len());
        assert_eq!(c.x.len(), c.intensity.len());
        assert!(c.x.windows(2).all(|w| w[0] < w[1]), "order kept");
    }

    #[test]
    fn damaged_wire_bytes_give_a_typed_error_or_a_message() {
        use crate::error::PerceptionError;
        use crate::fault_injection::faultable::Faultable;
        let m = cloud(100);
        let mut rng = SimRng::new(3);
        let cut = m.clone().damage_wire(|b| truncate(b, &mut rng));
        assert!(
            matches!(cut, Err(PerceptionError::Source { .. })),
            "{cut:?}"
        );
        assert_eq!(m.clone().damage_wire(|_| {}).unwrap(), m);
        let mut flipped = 0;
        for _ in 0..50 {
            if let Ok(got) = m.clone().damage_wire(|b| flip_bits(b, 4, &mut rng))
                && got != m
            {
                flipped += 1;
            }
        }
        assert!(flipped > 0, "some flips decode to different content");
    }
}
