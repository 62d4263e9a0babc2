//! The ego vehicle: a kinematic bicycle model with actuator limits, driven by commands.
//!
//! State in the world frame (x, y on the ground, metres; yaw counter-clockwise from +x,
//! radians) at the rear-axle centre, as the vehicle frame's origin is.

use kestrel_sensors::OrientedBox3;
use nalgebra::{Isometry3, Point3, Translation3, UnitQuaternion, Vector2, Vector3};

/// Longitudinal part of a command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Longitudinal {
    /// Desired acceleration, m/s^2 (negative brakes).
    Acceleration(f64),
    /// Desired speed, m/s (a proportional speed controller picks the acceleration).
    TargetSpeed(f64),
}

/// Lateral part of a command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lateral {
    /// Front-wheel steering angle, radians, positive left.
    SteeringAngle(f64),
    /// Path curvature, 1/metres, positive left.
    Curvature(f64),
    /// Let the simulator's lane keeper (pure pursuit on the ego's lane centre) steer.
    KeepLane,
}

/// One command to the ego vehicle, held for one simulation step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EgoCommand {
    /// Speed control.
    pub longitudinal: Longitudinal,
    /// Steering.
    pub lateral: Lateral,
}

impl EgoCommand {
    /// Accelerate at `a` m/s^2 and keep the lane.
    pub fn accelerate_in_lane(a: f64) -> Self {
        Self {
            longitudinal: Longitudinal::Acceleration(a),
            lateral: Lateral::KeepLane,
        }
    }
}

/// Geometry and actuator limits of the ego vehicle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EgoParams {
    /// Wheelbase, metres.
    pub wheelbase: f64,
    /// Body length, metres.
    pub length: f64,
    /// Body width, metres.
    pub width: f64,
    /// Body height, metres.
    pub height: f64,
    /// Distance from the rear axle back to the rear bumper, metres.
    pub rear_overhang: f64,
    /// Largest acceleration, m/s^2.
    pub max_accel: f64,
    /// Largest deceleration, m/s^2 (positive).
    pub max_decel: f64,
    /// Largest steering angle, radians.
    pub max_steer: f64,
    /// Largest steering rate, radians per second.
    pub max_steer_rate: f64,
}

impl Default for EgoParams {
    fn default() -> Self {
        Self {
            wheelbase: 2.8,
            length: 4.7,
            width: 1.9,
            height: 1.5,
            rear_overhang: 0.9,
            max_accel: 3.0,
            max_decel: 9.0,
            max_steer: 0.55,
            max_steer_rate: 0.8,
        }
    }
}

impl EgoParams {
    /// Distance from the rear axle to the front bumper, metres.
    pub fn front_overhang_from_axle(&self) -> f64 {
        self.length - self.rear_overhang
    }

    /// Box centre ahead of the rear axle, metres.
    pub fn centre_offset(&self) -> f64 {
        self.length / 2.0 - self.rear_overhang
    }
}

/// Kinematic state of the ego.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EgoState {
    /// Rear-axle x, world frame, metres.
    pub x: f64,
    /// Rear-axle y, world frame, metres.
    pub y: f64,
    /// Heading, radians.
    pub yaw: f64,
    /// Speed, m/s (never negative: the model does not reverse).
    pub speed: f64,
    /// Acceleration applied in the last step, m/s^2.
    pub accel: f64,
    /// Steering angle, radians.
    pub steer: f64,
    /// Yaw rate in the last step, rad/s.
    pub yaw_rate: f64,
}

/// The ego vehicle: parameters and state.
#[derive(Debug, Clone)]
pub struct EgoVehicle {
    /// Geometry and limits.
    pub params: EgoParams,
    /// Current state.
    pub state: EgoState,
}

impl EgoVehicle {
    /// An ego at rest pose `(x, y, yaw)` moving at `speed`.
    pub fn new(params: EgoParams, x: f64, y: f64, yaw: f64, speed: f64) -> Self {
        Self {
            params,
            state: EgoState {
                x,
                y,
                yaw,
                speed,
                accel: 0.0,
                steer: 0.0,
                yaw_rate: 0.0,
            },
        }
    }

    /// Advances by `dt` seconds with acceleration `accel` (m/s^2) and path curvature
    /// `curvature` (1/m) requested; both are clamped to the actuator limits.
    pub fn step(&mut self, accel: f64, curvature: f64, dt: f64) {
        let p = self.params;
        let st = &mut self.state;
        let accel = if accel.is_finite() {
            accel.clamp(-p.max_decel, p.max_accel)
        } else {
            0.0
        };
        let want = if curvature.is_finite() {
            (curvature * p.wheelbase).atan()
        } else {
            st.steer
        };
        let max_delta = p.max_steer_rate * dt;
        st.steer = (st.steer + (want - st.steer).clamp(-max_delta, max_delta))
            .clamp(-p.max_steer, p.max_steer);
        let v0 = st.speed;
        let v1 = (v0 + accel * dt).max(0.0);
        // Distance travelled under constant acceleration, stopping at zero speed.
        let ds = if v1 == 0.0 && accel < 0.0 {
            v0 * v0 / (2.0 * -accel)
        } else {
            0.5 * (v0 + v1) * dt
        };
        let k = st.steer.tan() / p.wheelbase;
        let h0 = st.yaw;
        let h1 = h0 + k * ds;
        if k.abs() < 1e-9 {
            st.x += ds * h0.cos();
            st.y += ds * h0.sin();
        } else {
            st.x += (h1.sin() - h0.sin()) / k;
            st.y -= (h1.cos() - h0.cos()) / k;
        }
        st.yaw = h1;
        st.yaw_rate = (h1 - h0) / dt;
        st.accel = (v1 - v0) / dt;
        st.speed = v1;
    }

    /// Vehicle frame -> world frame (3D, z up; the ego stays on flat ground).
    pub fn pose(&self) -> Isometry3<f64> {
        Isometry3::from_parts(
            Translation3::new(self.state.x, self.state.y, 0.0),
            UnitQuaternion::from_axis_angle(&Vector3::z_axis(), self.state.yaw),
        )
    }

    /// The body box, world frame.
    pub fn body(&self) -> OrientedBox3 {
        let c =
            self.pose() * Point3::new(self.params.centre_offset(), 0.0, self.params.height / 2.0);
        OrientedBox3 {
            center: c,
            length: self.params.length,
            width: self.params.width,
            height: self.params.height,
            yaw: self.state.yaw,
        }
    }

    /// Velocity of the rear axle over ground, world frame, m/s.
    pub fn velocity(&self) -> Vector2<f64> {
        Vector2::new(self.state.yaw.cos(), self.state.yaw.sin()) * self.state.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_curvature_drives_a_circle() {
        let p = EgoParams {
            max_steer_rate: 100.0,
            ..EgoParams::default()
        };
        let mut ego = EgoVehicle::new(p, 0.0, 0.0, 0.0, 10.0);
        let k = 0.02;
        let circumference = std::f64::consts::TAU / k;
        let steps = (circumference / 10.0 / 0.01).round() as usize;
        for _ in 0..steps {
            ego.step(0.0, k, 0.01);
        }
        let err = (ego.state.x.powi(2) + ego.state.y.powi(2)).sqrt();
        assert!(err < 0.5, "did not close the circle: {err}");
    }

    #[test]
    fn braking_stops_and_never_reverses() {
        let mut ego = EgoVehicle::new(EgoParams::default(), 0.0, 0.0, 0.0, 20.0);
        for _ in 0..1000 {
            ego.step(-100.0, 0.0, 0.01);
        }
        // Clamped at 9 m/s^2: stopping distance 400 / 18.
        assert_eq!(ego.state.speed, 0.0);
        assert!((ego.state.x - 400.0 / 18.0).abs() < 0.05, "{}", ego.state.x);
    }
}
