//! A rigid body's trajectory from timed poses (a dataset's ego poses): the pose at any time
//! (linear in position, spherical-linear in rotation) and the velocities that odometry
//! reports.

use crate::{SensorError, Timestamp};
use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};

/// Poses of one moving frame in a fixed frame at strictly increasing times.
#[derive(Debug, Clone, PartialEq)]
pub struct PoseTrajectory {
    /// `(time, moving frame -> fixed frame)`, strictly increasing times.
    samples: Vec<(Timestamp, Isometry3<f64>)>,
}

impl PoseTrajectory {
    /// A trajectory through `samples`; `what` names the source in errors. Needs at least one
    /// sample, strictly increasing times and finite poses.
    pub fn new(samples: Vec<(Timestamp, Isometry3<f64>)>, what: &str) -> Result<Self, SensorError> {
        if samples.is_empty() {
            return Err(SensorError::malformed(what, 0, "no poses"));
        }
        for (i, (t, p)) in samples.iter().enumerate() {
            let finite = p.translation.vector.iter().all(|v| v.is_finite())
                && p.rotation.coords.iter().all(|v| v.is_finite());
            if !finite {
                return Err(SensorError::malformed(what, i, "non-finite pose"));
            }
            if i > 0 && *t <= samples[i - 1].0 {
                return Err(SensorError::malformed(
                    what,
                    i,
                    format!("pose time {t} is not after {}", samples[i - 1].0),
                ));
            }
        }
        Ok(Self { samples })
    }

    /// The samples, in time order.
    pub fn samples(&self) -> &[(Timestamp, Isometry3<f64>)] {
        &self.samples
    }

    /// The pose at `t`: interpolated between the two samples around it; before the first or
    /// after the last sample, extrapolated with the first or last segment's constant motion
    /// (a single-sample trajectory is constant).
    pub fn pose_at(&self, t: Timestamp) -> Isometry3<f64> {
        let s = &self.samples;
        if s.len() == 1 {
            return s[0].1;
        }
        // Segment [i, i + 1] containing t (clamped to the first / last segment).
        let i = s.partition_point(|(ti, _)| *ti <= t).clamp(1, s.len() - 1) - 1;
        let ((t0, p0), (t1, p1)) = (s[i], s[i + 1]);
        let f = signed_seconds(t, t0) / t1.seconds_since(t0);
        interpolate(&p0, &p1, f)
    }

    /// Velocity of the moving frame's origin and its angular velocity at sample `i`, both in
    /// the moving frame's own axes (m/s, rad/s): central differences of the neighbouring
    /// samples (one-sided at the ends; zero for a single sample).
    pub fn velocities_at_sample(&self, i: usize) -> (Vector3<f64>, Vector3<f64>) {
        let s = &self.samples;
        if s.len() < 2 || i >= s.len() {
            return (Vector3::zeros(), Vector3::zeros());
        }
        let (a, b) = (i.saturating_sub(1), (i + 1).min(s.len() - 1));
        let ((ta, pa), (tb, pb)) = (s[a], s[b]);
        let dt = tb.seconds_since(ta);
        let rotation = s[i].1.rotation;
        let linear = rotation.inverse() * (pb.translation.vector - pa.translation.vector) / dt;
        // Rotation from a to b seen in a's axes, as a rotation vector per second, then in the
        // axes of sample i.
        let delta = pa.rotation.inverse() * pb.rotation;
        let angular_a = delta.scaled_axis() / dt;
        let angular = rotation.inverse() * (pa.rotation * angular_a);
        (linear, angular)
    }
}

/// `t - t0` in seconds, negative when `t` is earlier.
fn signed_seconds(t: Timestamp, t0: Timestamp) -> f64 {
    if t >= t0 {
        t.seconds_since(t0)
    } else {
        -t0.seconds_since(t)
    }
}

/// The pose a fraction `f` of the way from `a` to `b` (any real `f`: outside 0..1
/// extrapolates with the same constant motion).
fn interpolate(a: &Isometry3<f64>, b: &Isometry3<f64>, f: f64) -> Isometry3<f64> {
    let translation = a.translation.vector + (b.translation.vector - a.translation.vector) * f;
    let delta = a.rotation.inverse() * b.rotation;
    let rotation = a.rotation * UnitQuaternion::from_scaled_axis(delta.scaled_axis() * f);
    Isometry3::from_parts(Translation3::from(translation), rotation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vehicle driving a circle of radius 10 m at 5 m/s (yaw rate 0.5 rad/s), sampled at
    /// 10 Hz.
    fn circle() -> PoseTrajectory {
        let samples = (0..10)
            .map(|k| {
                let t = k as f64 * 0.1;
                let yaw = 0.5 * t;
                let p = Isometry3::from_parts(
                    Translation3::new(10.0 * yaw.sin(), 10.0 - 10.0 * yaw.cos(), 0.0),
                    UnitQuaternion::from_euler_angles(0.0, 0.0, yaw),
                );
                (Timestamp::from_nanos(1_000_000_000 + k * 100_000_000), p)
            })
            .collect();
        PoseTrajectory::new(samples, "circle").unwrap()
    }

    #[test]
    fn interpolates_and_extrapolates_on_the_motion() {
        let tr = circle();
        let mid = tr.pose_at(Timestamp::from_nanos(1_050_000_000));
        assert!((mid.rotation.euler_angles().2 - 0.025).abs() < 1e-12);
        // Position interpolates linearly along the chord: within a millimetre of the arc.
        assert!((mid.translation.x - 10.0 * 0.025f64.sin()).abs() < 1e-3);
        let before = tr.pose_at(Timestamp::from_nanos(950_000_000));
        assert!((before.rotation.euler_angles().2 + 0.025).abs() < 1e-12);
        let exact = tr.pose_at(Timestamp::from_nanos(1_300_000_000));
        assert!((exact.translation.vector - tr.samples()[3].1.translation.vector).norm() < 1e-12);
    }

    #[test]
    fn velocities_are_in_the_moving_frame() {
        let tr = circle();
        for i in [0, 4, 9] {
            let (v, w) = tr.velocities_at_sample(i);
            // Forward at 5 m/s (the chord of a 0.1-0.2 s arc is a hair shorter), no sideways
            // speed in the body frame beyond the chord's tilt, yaw rate 0.5 rad/s.
            assert!((v.x - 5.0).abs() < 0.01, "{i}: {v}");
            assert!(v.y.abs() < 0.13, "{i}: {v}");
            assert!((w.z - 0.5).abs() < 1e-9 && w.x.abs() < 1e-12, "{i}: {w}");
        }
    }

    #[test]
    fn rejects_unordered_and_non_finite_poses() {
        let p = Isometry3::identity();
        let t = Timestamp::from_nanos;
        assert!(PoseTrajectory::new(vec![], "x").is_err());
        assert!(PoseTrajectory::new(vec![(t(2), p), (t(2), p)], "x").is_err());
        let nan = Isometry3::translation(f64::NAN, 0.0, 0.0);
        assert!(PoseTrajectory::new(vec![(t(1), nan)], "x").is_err());
        let one = PoseTrajectory::new(vec![(t(1), p)], "x").unwrap();
        assert_eq!(one.pose_at(t(100)), p);
        assert_eq!(one.velocities_at_sample(0).0, Vector3::zeros());
    }
}
