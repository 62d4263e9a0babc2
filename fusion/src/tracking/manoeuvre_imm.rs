//! Manoeuvre onsets by interacting multiple models (IMM; Blom & Bar-Shalom 1988): a track runs
//! its class's motion model twice, a **steady** mode with the class's process noise and a
//! **manoeuvre** mode with a much larger acceleration noise, and weighs the two by how well
//! each predicted the detections. An object that keeps its motion is followed by the steady
//! mode (smooth velocity); when it suddenly starts, stops or turns, the consistently large
//! innovations move the weight to the manoeuvre mode within one or two updates and the velocity
//! follows the measurements instead of lagging several frames behind.
//!
//! Per frame: the modes are mixed through a two-state Markov chain (switching rates per
//! second, so any frame interval works), each is predicted with its own noise and updated with
//! the detection, the mode probabilities are reweighted by the likelihood of each mode's
//! position innovation, and the moment-matched mixture is what association and consumers see.

use super::ego_motion::EgoMotion;
use super::ekf::Innovation;
use super::error::TrackingError;
use super::kinematic_state::{KinematicState, KinematicSummary, Measurement};
use super::motion_model::{MotionModel, MotionParams};
use nalgebra::{Matrix2, Vector2};
use serde::{Deserialize, Serialize};

/// The manoeuvre mode (the `[tracking.manoeuvre]` table of a configuration file).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManoeuvreConfig {
    /// Run the manoeuvre mode; `false`: every track is one EKF under its class's noise.
    pub enabled: bool,
    /// Acceleration noise of the manoeuvre mode (longitudinal for CTRV tracks), m/s^2; a
    /// class whose own noise is larger keeps its own.
    pub accel_std: f64,
    /// Yaw acceleration noise of the manoeuvre mode (CTRV tracks), rad/s^2; as above.
    pub yaw_accel_std: f64,
    /// Rate at which a steady object starts a manoeuvre, 1/s.
    pub onset_rate_hz: f64,
    /// Rate at which a manoeuvre ends, 1/s.
    pub end_rate_hz: f64,
}

impl Default for ManoeuvreConfig {
    /// 10 m/s^2, 3 rad/s^2, onset 0.5/s, end 4/s: chosen on PandaSet 002 frames 00-39 (the
    /// tuning frames; `kestrel eval`, MOTA of tracks with a class) among manoeuvre noises of
    /// 6-30 m/s^2 and onset / end rates of 0.1-1 / 1-4 per second.
    fn default() -> Self {
        Self {
            enabled: true,
            accel_std: 10.0,
            yaw_accel_std: 3.0,
            onset_rate_hz: 0.5,
            end_rate_hz: 4.0,
        }
    }
}

impl ManoeuvreConfig {
    /// Checks value ranges.
    pub fn validate(&self) -> Result<(), TrackingError> {
        for (field, value) in [
            ("manoeuvre.accel_std", self.accel_std),
            ("manoeuvre.yaw_accel_std", self.yaw_accel_std),
            ("manoeuvre.onset_rate_hz", self.onset_rate_hz),
            ("manoeuvre.end_rate_hz", self.end_rate_hz),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(TrackingError::InvalidConfig {
                    field,
                    value,
                    reason: "finite, > 0",
                });
            }
        }
        Ok(())
    }

    /// The manoeuvre mode's motion parameters for a class with `steady` parameters.
    fn params(&self, steady: &MotionParams) -> MotionParams {
        MotionParams {
            accel_std: steady.accel_std.max(self.accel_std),
            yaw_accel_std: steady.yaw_accel_std.max(self.yaw_accel_std),
            ..*steady
        }
    }

    /// Long-run share of time in the manoeuvre mode: the probability a new track starts with.
    fn stationary_manoeuvre_probability(&self) -> f64 {
        self.onset_rate_hz / (self.onset_rate_hz + self.end_rate_hz)
    }

    /// Mode transition probabilities over `dt` seconds, `[from][to]` (steady 0, manoeuvre 1):
    /// those of the continuous-time two-state chain with the two rates, so that two steps of
    /// `dt / 2` switch exactly as often as one of `dt`.
    fn transitions(&self, dt: f64) -> [[f64; 2]; 2] {
        let (a, b) = (self.onset_rate_hz, self.end_rate_hz);
        let settled = -(-(a + b) * dt).exp_m1() / (a + b);
        let (onset, end) = (a * settled, b * settled);
        [[1.0 - onset, onset], [end, 1.0 - end]]
    }
}

/// A track's kinematic belief: the steady mode, the manoeuvre mode (when enabled) with the
/// mode probabilities, and their moment-matched mixture.
#[derive(Debug, Clone, PartialEq)]
pub struct ImmState {
    steady: KinematicState,
    manoeuvre: Option<(KinematicState, [f64; 2])>,
    mixed: KinematicState,
}

impl ImmState {
    /// A new belief from a first detection under `model` (see [`KinematicState::new`]).
    pub fn new(
        model: MotionModel,
        m: &Measurement,
        params: &MotionParams,
        config: &ManoeuvreConfig,
    ) -> Self {
        let steady = KinematicState::new(model, m, params);
        let manoeuvre = config.enabled.then(|| {
            let p = config.stationary_manoeuvre_probability();
            (steady.clone(), [1.0 - p, p])
        });
        let mut state = Self {
            mixed: steady.clone(),
            steady,
            manoeuvre,
        };
        state.remix();
        state
    }

    /// Probability that the track is manoeuvring (0 when the manoeuvre mode is off).
    pub fn manoeuvre_probability(&self) -> f64 {
        self.manoeuvre.as_ref().map_or(0.0, |(_, mu)| mu[1])
    }

    /// The motion model in use.
    pub fn model(&self) -> MotionModel {
        self.steady.model()
    }

    /// IMM mixing, then prediction of each mode `dt` seconds ahead (dt > 0) with the steady
    /// parameters `params` and the manoeuvre mode's.
    pub fn predict(&mut self, dt: f64, params: &MotionParams, config: &ManoeuvreConfig) {
        match &mut self.manoeuvre {
            None => self.steady.predict(dt, params),
            Some((manoeuvre, mu)) => {
                let t = config.transitions(dt);
                let predicted = [
                    t[0][0] * mu[0] + t[1][0] * mu[1],
                    t[0][1] * mu[0] + t[1][1] * mu[1],
                ];
                let modes = [&self.steady, &*manoeuvre];
                let mix = |to: usize| {
                    let w = [
                        t[0][to] * mu[0] / predicted[to],
                        t[1][to] * mu[1] / predicted[to],
                    ];
                    KinematicState::mixture(modes, w)
                };
                let (mut steady, mut fast) = (mix(0), mix(1));
                steady.predict(dt, params);
                fast.predict(dt, &config.params(params));
                self.steady = steady;
                *manoeuvre = fast;
                *mu = predicted;
            }
        }
        self.remix();
    }

    /// Re-expresses every mode in the current vehicle frame after the vehicle moved by `ego`.
    pub fn apply_ego_motion(&mut self, ego: &EgoMotion) {
        self.steady.apply_ego_motion(ego);
        if let Some((manoeuvre, _)) = &mut self.manoeuvre {
            manoeuvre.apply_ego_motion(ego);
        }
        self.remix();
    }

    /// Position x/y of the mixture, metres.
    pub fn position(&self) -> Vector2<f64> {
        self.mixed.position()
    }

    /// Covariance of the mixture's position, m^2.
    pub fn position_covariance(&self) -> Matrix2<f64> {
        self.mixed.position_covariance()
    }

    /// Innovation of a position measurement against the mixture (association).
    pub fn position_innovation(&self, z: &Vector2<f64>, r: &Matrix2<f64>) -> Option<Innovation<2>> {
        self.mixed.position_innovation(z, r)
    }

    /// Innovation of a velocity measurement against the mixture (association).
    pub fn velocity_innovation(&self, z: &Vector2<f64>, r: &Matrix2<f64>) -> Option<Innovation<2>> {
        self.mixed.velocity_innovation(z, r)
    }

    /// Updates every mode with one detection (see [`KinematicState::update`]) and reweighs the
    /// modes by the likelihood of their position innovations. Returns the mixture's position
    /// innovation (for the existence update), or `None` if it was degenerate and nothing was
    /// changed.
    pub fn update(&mut self, m: &Measurement, box_yaw_std: Option<f64>) -> Option<Innovation<2>> {
        let innovation = self.position_innovation(&m.position, &m.position_covariance)?;
        let likelihood = |k: &KinematicState| {
            k.position_innovation(&m.position, &m.position_covariance)
                .map_or(0.0, |i| i.likelihood())
        };
        if let Some((manoeuvre, mu)) = &mut self.manoeuvre {
            let weights = [
                mu[0] * likelihood(&self.steady),
                mu[1] * likelihood(manoeuvre),
            ];
            let total = weights[0] + weights[1];
            // Both modes explain the detection equally badly (far outside both): no evidence.
            if total > 0.0 && total.is_finite() {
                *mu = [weights[0] / total, weights[1] / total];
            }
            manoeuvre.update(m, box_yaw_std);
        }
        self.steady.update(m, box_yaw_std);
        self.remix();
        Some(innovation)
    }

    /// The same belief under `model` (see [`KinematicState::converted`]), every mode converted.
    pub fn converted(
        &self,
        model: MotionModel,
        params: &MotionParams,
        fallback_yaw: f64,
        fallback_yaw_var: f64,
    ) -> Self {
        let convert =
            |k: &KinematicState| k.converted(model, params, fallback_yaw, fallback_yaw_var);
        let steady = convert(&self.steady);
        let mut state = Self {
            mixed: steady.clone(),
            manoeuvre: self.manoeuvre.as_ref().map(|(k, mu)| (convert(k), *mu)),
            steady,
        };
        state.remix();
        state
    }

    /// Consumer view of the mixture (see [`KinematicState::summary`]).
    pub fn summary(&self, fallback_yaw: f64, fallback_yaw_var: f64) -> KinematicSummary {
        self.mixed.summary(fallback_yaw, fallback_yaw_var)
    }

    fn remix(&mut self) {
        self.mixed = match &self.manoeuvre {
            None => self.steady.clone(),
            Some((manoeuvre, mu)) => KinematicState::mixture([&self.steady, manoeuvre], *mu),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::TrackerConfig;
    use kestrel_sensors::ObjectClass;

    fn detection(x: f64, y: f64) -> Measurement {
        Measurement {
            position: Vector2::new(x, y),
            position_covariance: Matrix2::identity() * 0.1f64.powi(2),
            velocity: None,
            box_yaw: 0.0,
        }
    }

    /// A crossing object at rest for 2 s that starts at 5 m/s sideways: (lateral speed after
    /// 0.1 s, 0.2 s and 0.3 s of the manoeuvre, the manoeuvre probability at the end).
    fn crossing(config: &ManoeuvreConfig) -> ([f64; 3], f64) {
        let params = *TrackerConfig::default().motion_params(ObjectClass::Unknown);
        let dt = 0.1;
        let mut k = ImmState::new(params.model, &detection(20.0, -6.0), &params, config);
        for _ in 0..20 {
            k.predict(dt, &params, config);
            k.update(&detection(20.0, -6.0), None);
        }
        let mut speeds = [0.0; 3];
        for (i, s) in speeds.iter_mut().enumerate() {
            k.predict(dt, &params, config);
            k.update(&detection(20.0, -6.0 + 0.5 * (i + 1) as f64), None);
            *s = k.summary(0.0, 1.0).mean[4];
        }
        (speeds, k.manoeuvre_probability())
    }

    #[test]
    fn a_sudden_start_shows_in_the_velocity_sooner_than_with_one_filter() {
        let imm = crossing(&ManoeuvreConfig::default());
        let single = crossing(&ManoeuvreConfig {
            enabled: false,
            ..ManoeuvreConfig::default()
        });
        // The steady filter alone lags; the IMM reaches most of the 5 m/s within 0.2 s.
        assert!(imm.0[1] > 3.5, "IMM {:?}", imm.0);
        assert!(single.0[1] < 2.5, "single {:?}", single.0);
        assert!(imm.0.iter().zip(&single.0).all(|(a, b)| a > b));
        assert!(imm.1 > 0.5, "manoeuvre probability {}", imm.1);
        assert_eq!(single.1, 0.0);
    }

    #[test]
    fn a_steady_object_stays_in_the_steady_mode_with_a_smooth_velocity() {
        let config = ManoeuvreConfig::default();
        let params = *TrackerConfig::default().motion_params(ObjectClass::Unknown);
        let mut k = ImmState::new(params.model, &detection(0.0, 0.0), &params, &config);
        // 1 m/s along x with +-5 cm alternating measurement noise.
        for i in 1..=30 {
            k.predict(0.1, &params, &config);
            let jitter = if i % 2 == 0 { 0.05 } else { -0.05 };
            k.update(&detection(0.1 * i as f64 + jitter, -jitter), None);
        }
        let v = k.summary(0.0, 1.0).mean;
        assert!((v[3] - 1.0).abs() < 0.3 && v[4].abs() < 0.3, "{v}");
        assert!(
            k.manoeuvre_probability() < 0.2,
            "{}",
            k.manoeuvre_probability()
        );
    }

    #[test]
    fn mode_transitions_are_rates_and_probabilities_stay_normalised() {
        let c = ManoeuvreConfig::default();
        let t = c.transitions(0.1);
        for row in t {
            assert!((row[0] + row[1] - 1.0).abs() < 1e-15);
        }
        // Two steps of 0.05 s switch as often as one of 0.1 s.
        let h = c.transitions(0.05);
        let two = h[0][0] * h[0][1] + h[0][1] * h[1][1];
        assert!((two - t[0][1]).abs() < 1e-12, "{two} vs {}", t[0][1]);
        assert!(
            ManoeuvreConfig {
                onset_rate_hz: 0.0,
                ..c
            }
            .validate()
            .is_err()
        );
    }
}
