//! A gate on ego-motion samples that a vehicle cannot have produced: a speed or yaw rate
//! beyond any road vehicle or drone, or a change from the last accepted sample that would
//! need an acceleration beyond 2 g (a flipped bit in a speed field, a unit mix-up). A refused
//! sample is a typed error; the tracker then keeps using the last accepted one. Samples
//! refused [`REBASE_AFTER`] times in a row are taken as the new truth (the accepted sample may
//! have been the bad one).

use crate::FusionError;
use crate::ego_velocity::EgoVelocity;
use kestrel_sensors::Timestamp;

/// Fastest plausible speed, m/s (360 km/h).
pub const MAX_SPEED_MPS: f64 = 100.0;
/// Fastest plausible yaw rate, rad/s (a drone's quick turn).
pub const MAX_YAW_RATE_RPS: f64 = 6.0;
/// Largest plausible change of velocity between samples, m/s per second (2 g).
pub const MAX_ACCELERATION_MPS2: f64 = 20.0;
/// Largest plausible change of yaw rate between samples, rad/s per second.
pub const MAX_YAW_ACCELERATION_RPS2: f64 = 30.0;
/// Refusals in a row after which a sample is accepted as the new truth.
pub const REBASE_AFTER: u32 = 3;

/// The gate (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct EgoPlausibility {
    last: Option<(Timestamp, EgoVelocity)>,
    refused_in_a_row: u32,
}

impl EgoPlausibility {
    /// Accepts `v` at `t` or says why it is implausible.
    pub fn check(&mut self, t: Timestamp, v: &EgoVelocity) -> Result<(), FusionError> {
        let refuse = |what: String| FusionError::ImplausibleEgoMotion {
            timestamp: t,
            reason: what,
        };
        let speed = v.velocity.norm();
        let verdict = if !v.is_finite() {
            Err(refuse("not finite".into()))
        } else if speed > MAX_SPEED_MPS {
            Err(refuse(format!(
                "speed {speed:.3} m/s > {MAX_SPEED_MPS} m/s"
            )))
        } else if v.yaw_rate.abs() > MAX_YAW_RATE_RPS {
            Err(refuse(format!(
                "yaw rate {:.3} rad/s > {MAX_YAW_RATE_RPS} rad/s",
                v.yaw_rate
            )))
        } else {
            match self.last {
                Some((at, last)) if t > at && self.refused_in_a_row + 1 < REBASE_AFTER => {
                    let dt = t.seconds_since(at);
                    let accel = (v.velocity - last.velocity).norm() / dt;
                    let yaw_accel = (v.yaw_rate - last.yaw_rate).abs() / dt;
                    if accel > MAX_ACCELERATION_MPS2 {
                        Err(refuse(format!(
                            "velocity changed at {accel:.1} m/s^2 > {MAX_ACCELERATION_MPS2}"
                        )))
                    } else if yaw_accel > MAX_YAW_ACCELERATION_RPS2 {
                        Err(refuse(format!(
                            "yaw rate changed at {yaw_accel:.1} rad/s^2 > \
                             {MAX_YAW_ACCELERATION_RPS2}"
                        )))
                    } else {
                        Ok(())
                    }
                }
                _ => Ok(()),
            }
        };
        match verdict {
            Ok(()) => {
                self.last = Some((t, *v));
                self.refused_in_a_row = 0;
            }
            Err(_) => self.refused_in_a_row += 1,
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    fn ego(speed: f64, yaw_rate: f64) -> EgoVelocity {
        EgoVelocity {
            velocity: Vector2::new(speed, 0.0),
            yaw_rate,
        }
    }

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_nanos(ms * 1_000_000)
    }

    #[test]
    fn impossible_values_and_jumps_are_refused_and_a_new_truth_is_accepted() {
        let mut g = EgoPlausibility::default();
        assert!(g.check(at(0), &ego(10.0, 0.1)).is_ok());
        assert!(
            g.check(at(100), &ego(11.5, 0.2)).is_ok(),
            "15 m/s^2: braking hard"
        );
        let e = g.check(at(200), &ego(1e6, 0.0)).unwrap_err().to_string();
        assert!(e.contains("speed"), "{e}");
        assert!(g.check(at(300), &ego(23.0, 0.2)).is_err(), "doubled speed");
        assert!(g.check(at(400), &ego(11.0, 9.0)).is_err(), "yaw rate");
        // Third refusal in a row: the earlier sample may have been the bad one.
        assert!(g.check(at(500), &ego(30.0, 0.2)).is_ok());
        assert!(g.check(at(600), &ego(30.5, 0.2)).is_ok());
        assert!(g.check(at(700), &ego(f64::NAN, 0.0)).is_err());
    }
}
