//! Input drift monitor: cheap statistics of every sensor message
//! ([`kestrel_sensors::input_statistics`]) compared with the model's input reference (the same
//! statistics over its training data, [`InputReference`]).
//!
//! The test, per sensor and statistic: the median of the last `window` messages lies outside
//! the reference's acceptance band. Every statistic is non-negative; the band is the
//! reference's 1st-99th percentile range widened by the factor `1 + tolerance` on each side,
//! `[q01 / (1 + tolerance), q99 * (1 + tolerance)]` (a reference recorded on a few drives is
//! narrow; with the default 0.5 the held-out frames of the training sequence stay inside while
//! dusk-dark or blurred images fall outside, measured in the model card). A median, not a
//! single message, decides, so one odd frame never flags; after a step change the flag rises
//! once more than half the window has seen it. Statistics without a reference (radar: see the
//! reference's `source`) are reported but never flag.

use crate::error::PerceptionError;
use kestrel_models::input_reference::{InputReference, StatisticReference};
use kestrel_sensors::SensorMessage;
use kestrel_sensors::input_statistics::InputStatistics;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Settings of the drift monitor (`[monitor]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSettings {
    /// Messages per sensor whose median is tested.
    pub window: usize,
    /// Widening factor of the reference's 1-99% range, minus one (see the module docs).
    pub tolerance: f64,
}

impl Default for DriftSettings {
    fn default() -> Self {
        Self {
            window: 10,
            tolerance: 0.5,
        }
    }
}

impl DriftSettings {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), PerceptionError> {
        if self.window == 0 || !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(PerceptionError::Config(format!(
                "monitor: window must be positive and tolerance finite and >= 0 (got {}, {})",
                self.window, self.tolerance
            )));
        }
        Ok(())
    }
}

/// The acceptance band of a reference statistic (see the module docs).
pub fn acceptance_band(r: &StatisticReference, tolerance: f64) -> (f64, f64) {
    let (lo, hi) = r.central_range();
    (lo / (1.0 + tolerance), hi * (1.0 + tolerance))
}

/// One statistic of one sensor as the monitor sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftStatus {
    /// Sensor name.
    pub sensor: String,
    /// `camera`, `lidar` or `radar`.
    pub kind: String,
    /// Statistic name.
    pub statistic: String,
    /// Median over the current window (`None` until the window is full).
    pub window_median: Option<f64>,
    /// Acceptance band from the reference (`None`: no reference for this statistic).
    pub band: Option<(f64, f64)>,
    /// The window median lies outside the band.
    pub drifted: bool,
    /// Message number (1-based, this sensor's) at which the statistic first drifted.
    pub first_drifted_at: Option<u64>,
    /// Messages after which the statistic was found drifted.
    pub drifted_messages: u64,
}

#[derive(Debug, Default)]
struct StatisticWindow {
    values: VecDeque<f64>,
    drifted: bool,
    first_drifted_at: Option<u64>,
    drifted_messages: u64,
}

#[derive(Debug)]
struct SensorWindows {
    kind: &'static str,
    messages: u64,
    statistics: BTreeMap<&'static str, StatisticWindow>,
}

fn median(values: &VecDeque<f64>) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The drift monitor (see the module docs).
#[derive(Debug)]
pub struct DriftMonitor {
    reference: InputReference,
    settings: DriftSettings,
    sensors: BTreeMap<String, SensorWindows>,
}

impl DriftMonitor {
    /// A monitor comparing inputs with `reference`.
    pub fn new(
        reference: InputReference,
        settings: DriftSettings,
    ) -> Result<Self, PerceptionError> {
        settings.validate()?;
        Ok(Self {
            reference,
            settings,
            sensors: BTreeMap::new(),
        })
    }

    /// Takes one message's statistics into its sensor's window and re-tests that sensor.
    pub fn observe(&mut self, msg: &SensorMessage) {
        let Some(stats) = InputStatistics::of(msg) else {
            return;
        };
        let sensor = self
            .sensors
            .entry(msg.sensor().to_owned())
            .or_insert_with(|| SensorWindows {
                kind: stats.kind,
                messages: 0,
                statistics: BTreeMap::new(),
            });
        sensor.messages += 1;
        for (name, value) in stats.values {
            let w = sensor.statistics.entry(name).or_default();
            w.values.push_back(value);
            if w.values.len() > self.settings.window {
                w.values.pop_front();
            }
            let band = self
                .reference
                .statistic(stats.kind, name)
                .map(|r| acceptance_band(r, self.settings.tolerance));
            w.drifted = match band {
                Some((lo, hi)) if w.values.len() == self.settings.window => {
                    let m = median(&w.values);
                    m < lo || m > hi
                }
                _ => false,
            };
            if w.drifted {
                w.drifted_messages += 1;
                w.first_drifted_at.get_or_insert(sensor.messages);
            }
        }
    }

    /// The statistics of `sensor` that have drifted now, each as `name median outside [lo, hi]`.
    pub fn drifted(&self, sensor: &str) -> Vec<String> {
        let Some(s) = self.sensors.get(sensor) else {
            return Vec::new();
        };
        s.statistics
            .iter()
            .filter(|(_, w)| w.drifted)
            .filter_map(|(name, w)| {
                let r = self.reference.statistic(s.kind, name)?;
                let (lo, hi) = acceptance_band(r, self.settings.tolerance);
                Some(format!(
                    "{name} {:.4} outside [{lo:.4}, {hi:.4}]",
                    median(&w.values)
                ))
            })
            .collect()
    }

    /// Every statistic of every sensor seen, sorted by sensor then statistic.
    pub fn statuses(&self) -> Vec<DriftStatus> {
        let mut out = Vec::new();
        for (name, s) in &self.sensors {
            for (stat, w) in &s.statistics {
                out.push(DriftStatus {
                    sensor: name.clone(),
                    kind: s.kind.to_owned(),
                    statistic: (*stat).to_owned(),
                    window_median: (w.values.len() == self.settings.window)
                        .then(|| median(&w.values)),
                    band: self
                        .reference
                        .statistic(s.kind, stat)
                        .map(|r| acceptance_band(r, self.settings.tolerance)),
                    drifted: w.drifted,
                    first_drifted_at: w.first_drifted_at,
                    drifted_messages: w.drifted_messages,
                });
            }
        }
        out
    }
}

impl DriftStatus {
    /// A one-line verdict, e.g. `cam_front brightness drifted: median 0.12 outside [0.21, 0.71]
    /// (first at message 6)`.
    pub fn describe(&self) -> String {
        let median = self
            .window_median
            .map_or_else(|| "-".to_owned(), |m| format!("{m:.4}"));
        let band = self.band.map_or_else(
            || "no reference".to_owned(),
            |(lo, hi)| format!("[{lo:.4}, {hi:.4}]"),
        );
        let verdict = if self.drifted { "DRIFTED" } else { "ok" };
        let mut s = format!(
            "{} {} {verdict}: window median {median}, reference band {band}",
            self.sensor, self.statistic
        );
        if let Some(at) = self.first_drifted_at {
            s.push_str(&format!(
                " (first drifted at message {at}, drifted after {} messages)",
                self.drifted_messages
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{CameraFrame, PixelEncoding, Timestamp};

    fn reference() -> InputReference {
        let values: Vec<f64> = (0..100).map(|i| 0.4 + 0.002 * f64::from(i)).collect();
        InputReference {
            source: "test".into(),
            statistics: BTreeMap::from([(
                "camera".to_string(),
                BTreeMap::from([(
                    "brightness".to_string(),
                    StatisticReference::from_values(&values).unwrap(),
                )]),
            )]),
            agreement: None,
        }
    }

    fn grey(level: u8, t: u64) -> SensorMessage {
        SensorMessage::Camera(
            CameraFrame::new(
                "cam",
                Timestamp(t),
                8,
                8,
                PixelEncoding::Mono8,
                vec![level; 64],
            )
            .unwrap(),
        )
    }

    #[test]
    fn band_widens_the_central_range() {
        let r = &reference().statistics["camera"]["brightness"];
        let (lo, hi) = acceptance_band(r, 0.5);
        // 1-99% = [0.4, 0.596].
        assert!((lo - 0.4 / 1.5).abs() < 1e-9 && (hi - 0.596 * 1.5).abs() < 1e-9);
    }

    #[test]
    fn a_step_to_dark_frames_flags_after_half_a_window() {
        let settings = DriftSettings {
            window: 10,
            tolerance: 0.5,
        };
        let mut m = DriftMonitor::new(reference(), settings).unwrap();
        for t in 0..20 {
            m.observe(&grey(128, t)); // brightness 0.50
        }
        let s = &m.statuses()[0];
        assert!(
            !s.drifted && s.first_drifted_at.is_none(),
            "{}",
            s.describe()
        );
        for t in 20..40 {
            m.observe(&grey(20, t)); // brightness 0.08 < 0.267
        }
        let s = &m.statuses()[0];
        assert!(s.drifted, "{}", s.describe());
        assert_eq!(
            s.first_drifted_at,
            Some(26),
            "median of 10 turns at the 6th dark frame"
        );
        // Back to normal: the flag clears, the history stays.
        for t in 40..60 {
            m.observe(&grey(128, t));
        }
        let s = &m.statuses()[0];
        assert!(!s.drifted && s.first_drifted_at == Some(26));
        assert_eq!(
            s.drifted_messages, 19,
            "dark 6-20 and the first 4 bright again"
        );
    }

    #[test]
    fn statistics_without_reference_never_flag() {
        let mut m = DriftMonitor::new(reference(), DriftSettings::default()).unwrap();
        for t in 0..20 {
            m.observe(&grey(0, t));
        }
        let contrast = m
            .statuses()
            .into_iter()
            .find(|s| s.statistic == "contrast")
            .unwrap();
        assert!(contrast.band.is_none() && !contrast.drifted);
        assert!(
            DriftMonitor::new(
                reference(),
                DriftSettings {
                    window: 0,
                    tolerance: 0.5
                }
            )
            .is_err()
        );
    }
}
