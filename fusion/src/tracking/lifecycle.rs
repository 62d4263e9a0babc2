//! Track lifecycle: tentative -> confirmed (M of N hits) -> coasting (missed) -> deleted, and
//! the track's existence probability.
//!
//! Existence is a per-frame Bayesian update of the odds that the object is real:
//! - prediction: `P <- P * survival_per_second^dt`;
//! - miss: the object, if real, was not detected: `odds <- odds * (1 - Pd)`;
//! - hit with position-innovation density `g = N(y; 0, S)` (1/m^2): the detection is either
//!   the object or clutter of density `lambda` (1/m^2): `odds <- odds * (Pd g / lambda + 1 - Pd)`.
//!
//! `Pd` is the probability of detecting a real, visible object in a frame; occlusions are not
//! modelled, so it is set lower than a sensor's nominal rate to let tracks coast through them.

use super::error::TrackingError;
use serde::{Deserialize, Serialize};

/// Lifecycle state of a live track (deleted tracks are removed from the tracker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackStatus {
    /// Born from a detection, not yet confirmed by enough hits.
    Tentative,
    /// Confirmed and updated in the latest frame.
    Confirmed,
    /// Confirmed earlier, missed in the latest frame; predicted only.
    Coasting,
}

/// Lifecycle parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Hits needed to confirm a track (M of N); at least 2, so one detection never confirms.
    pub confirm_hits: u32,
    /// Window of frames in which the hits must fall (N); at most 32.
    pub confirm_window: u32,
    /// Existence probability needed (in addition to the hits) to confirm.
    pub confirm_existence: f64,
    /// A track whose existence falls below this is deleted.
    pub delete_existence: f64,
    /// Existence never exceeds this (keeps coasting decay bounded), < 1.
    pub max_existence: f64,
    /// Existence of a new track, multiplied by the detection's existence confidence.
    pub birth_existence: f64,
    /// Probability of detecting a real object in a frame, 0..1 (see module docs).
    pub detection_probability: f64,
    /// Density of spurious detections, per m^2 per frame.
    pub clutter_density: f64,
    /// Probability that a real object is still there after one second.
    pub survival_per_second: f64,
    /// A coasting track not updated for longer than this is deleted, seconds.
    pub max_coast_s: f64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            confirm_hits: 3,
            confirm_window: 5,
            confirm_existence: 0.7,
            delete_existence: 0.05,
            max_existence: 0.999,
            birth_existence: 0.5,
            detection_probability: 0.5,
            clutter_density: 1e-3,
            survival_per_second: 0.99,
            max_coast_s: 1.5,
        }
    }
}

impl LifecycleConfig {
    /// Checks the ranges documented on each field.
    pub fn validate(&self) -> Result<(), TrackingError> {
        let bad = |field, value: f64, reason| {
            Err(TrackingError::InvalidConfig {
                field,
                value,
                reason,
            })
        };
        let unit = |v: f64| v > 0.0 && v < 1.0;
        if self.confirm_hits < 2 || self.confirm_hits > self.confirm_window {
            return bad(
                "confirm_hits",
                self.confirm_hits as f64,
                "2..=confirm_window",
            );
        }
        if self.confirm_window > 32 {
            return bad("confirm_window", self.confirm_window as f64, "<= 32");
        }
        for (field, v) in [
            ("confirm_existence", self.confirm_existence),
            ("delete_existence", self.delete_existence),
            ("max_existence", self.max_existence),
            ("birth_existence", self.birth_existence),
            ("detection_probability", self.detection_probability),
        ] {
            if !unit(v) {
                return bad(field, v, "strictly between 0 and 1");
            }
        }
        if !(self.survival_per_second > 0.0 && self.survival_per_second <= 1.0) {
            return bad("survival_per_second", self.survival_per_second, "in (0, 1]");
        }
        if !(self.clutter_density > 0.0 && self.clutter_density.is_finite()) {
            return bad("clutter_density", self.clutter_density, "positive, finite");
        }
        if !(self.max_coast_s > 0.0 && self.max_coast_s.is_finite()) {
            return bad("max_coast_s", self.max_coast_s, "positive, finite");
        }
        Ok(())
    }
}

/// Lifecycle bookkeeping of one track.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    /// Current state.
    pub status: TrackStatus,
    /// Existence probability, 0..1.
    pub existence: f64,
    /// Hit pattern of the recent frames: bit 0 = latest frame.
    hit_history: u32,
    /// Frames since birth, including the birth frame.
    pub frames: u32,
    /// Total number of hits, including the birth detection.
    pub hits: u32,
}

fn odds(p: f64) -> f64 {
    p / (1.0 - p)
}

fn probability(odds: f64) -> f64 {
    odds / (1.0 + odds)
}

impl Lifecycle {
    /// A tentative track born from a detection with existence confidence `confidence` (0..1).
    pub fn new(cfg: &LifecycleConfig, confidence: f64) -> Self {
        Self {
            status: TrackStatus::Tentative,
            existence: (cfg.birth_existence * confidence.clamp(0.0, 1.0)).max(1e-3),
            hit_history: 1,
            frames: 1,
            hits: 1,
        }
    }

    /// Existence prediction over `dt` seconds.
    pub fn predict(&mut self, cfg: &LifecycleConfig, dt: f64) {
        self.existence *= cfg.survival_per_second.powf(dt);
    }

    /// The track was updated by a detection whose position innovation has density
    /// `likelihood` (1/m^2).
    pub fn record_hit(&mut self, cfg: &LifecycleConfig, likelihood: f64) {
        let pd = cfg.detection_probability;
        let ratio = pd * likelihood / cfg.clutter_density + (1.0 - pd);
        self.set_odds(odds(self.existence) * ratio, cfg);
        self.push(true);
        self.hits += 1;
        let recent = (self.hit_history & window_mask(cfg.confirm_window)).count_ones();
        self.status = match self.status {
            TrackStatus::Tentative
                if recent >= cfg.confirm_hits && self.existence >= cfg.confirm_existence =>
            {
                TrackStatus::Confirmed
            }
            TrackStatus::Tentative => TrackStatus::Tentative,
            TrackStatus::Confirmed | TrackStatus::Coasting => TrackStatus::Confirmed,
        };
    }

    /// The track was not updated in this frame.
    pub fn record_miss(&mut self, cfg: &LifecycleConfig) {
        let pd = cfg.detection_probability;
        self.set_odds(odds(self.existence) * (1.0 - pd), cfg);
        self.push(false);
        if self.status == TrackStatus::Confirmed {
            self.status = TrackStatus::Coasting;
        }
    }

    /// True when the track must be deleted: existence too low, a tentative track that did not
    /// confirm within its window, or a coasting track not updated for `max_coast_s`.
    pub fn should_delete(&self, cfg: &LifecycleConfig, time_since_update_s: f64) -> bool {
        self.existence < cfg.delete_existence
            || match self.status {
                TrackStatus::Tentative => self.frames >= cfg.confirm_window,
                TrackStatus::Confirmed => false,
                TrackStatus::Coasting => time_since_update_s > cfg.max_coast_s,
            }
    }

    fn push(&mut self, hit: bool) {
        self.hit_history = (self.hit_history << 1) | u32::from(hit);
        self.frames = self.frames.saturating_add(1);
    }

    fn set_odds(&mut self, o: f64, cfg: &LifecycleConfig) {
        self.existence = probability(o).min(cfg.max_existence);
        if !self.existence.is_finite() {
            self.existence = cfg.max_existence;
        }
    }
}

fn window_mask(window: u32) -> u32 {
    if window >= 32 {
        u32::MAX
    } else {
        (1 << window) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_detection_never_confirms_and_m_of_n_does() {
        let cfg = LifecycleConfig::default();
        let mut l = Lifecycle::new(&cfg, 1.0);
        assert_eq!(l.status, TrackStatus::Tentative);
        l.record_hit(&cfg, 5.0);
        assert_eq!(l.status, TrackStatus::Tentative, "2 hits < 3");
        l.record_miss(&cfg);
        l.record_hit(&cfg, 5.0);
        assert_eq!(l.status, TrackStatus::Confirmed, "3 of 4");
        l.record_miss(&cfg);
        assert_eq!(l.status, TrackStatus::Coasting);
        assert!(!l.should_delete(&cfg, 0.1));
        assert!(l.should_delete(&cfg, 1.6));
    }

    #[test]
    fn spurious_birth_is_deleted_after_its_window() {
        let cfg = LifecycleConfig::default();
        let mut l = Lifecycle::new(&cfg, 0.8);
        for _ in 0..cfg.confirm_window {
            assert_ne!(l.status, TrackStatus::Confirmed);
            l.record_miss(&cfg);
        }
        assert!(l.should_delete(&cfg, 0.5));
    }

    #[test]
    fn existence_rises_on_hits_and_decays_on_misses() {
        let cfg = LifecycleConfig::default();
        let mut l = Lifecycle::new(&cfg, 1.0);
        let p0 = l.existence;
        l.record_hit(&cfg, 1.0);
        assert!(l.existence > p0);
        for _ in 0..5 {
            l.record_hit(&cfg, 1.0);
        }
        assert_eq!(l.existence, cfg.max_existence);
        l.record_miss(&cfg);
        assert!(l.existence < cfg.max_existence);
    }

    #[test]
    fn config_ranges_are_checked() {
        let cfg = LifecycleConfig {
            confirm_hits: 1,
            ..LifecycleConfig::default()
        };
        assert!(cfg.validate().is_err());
        assert!(LifecycleConfig::default().validate().is_ok());
    }
}
