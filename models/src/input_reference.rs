//! The input reference of a model: the distribution of each input statistic
//! ([`kestrel_sensors::input_statistics`]) over the data the model was trained on (camera) and
//! the stack was tuned on (LiDAR, radar), and the student-teacher agreement expected there.
//! Stored next to the model (`input_reference.toml`, named by the manifest's `[monitoring]`
//! table) and written by `kestrel-distill input-reference`; the runtime's drift and shadow
//! teacher monitors compare what they see with it.

use crate::ModelError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Quantile levels kept per statistic, in order.
pub const QUANTILE_LEVELS: [f64; 5] = [0.01, 0.05, 0.5, 0.95, 0.99];

/// The reference distribution of one statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticReference {
    /// Messages the quantiles were taken over.
    pub samples: usize,
    /// Values at [`QUANTILE_LEVELS`] (nearest-rank), non-decreasing.
    pub quantiles: [f64; 5],
}

impl StatisticReference {
    /// The reference of `values` (at least one, all finite).
    pub fn from_values(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at =
            |q: f64| sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Some(Self {
            samples: values.len(),
            quantiles: QUANTILE_LEVELS.map(at),
        })
    }

    /// The range holding the central 98% of the reference (1st to 99th percentile).
    pub fn central_range(&self) -> (f64, f64) {
        (self.quantiles[0], self.quantiles[4])
    }
}

/// Expected student-teacher agreement on the training data, per window of assessed frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementReference {
    /// Frames per rolling window the floor was calibrated for.
    pub window: usize,
    /// Recall of the teacher's detections (student classes, IoU 0.5) pooled over all training
    /// frames.
    pub recall: f64,
    /// Precision of the student's detections pooled over all training frames.
    pub precision: f64,
    /// Rolling recall below which the monitor warns: the 5th percentile of the recall of
    /// windows of `window` consecutive training frames.
    pub recall_floor: f64,
}

/// A model's input reference (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputReference {
    /// What the reference was recorded on, in words.
    pub source: String,
    /// `kind -> statistic -> reference`, kinds `camera`, `lidar`, `radar`.
    pub statistics: BTreeMap<String, BTreeMap<String, StatisticReference>>,
    /// Agreement with the teacher on the training frames, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementReference>,
}

impl InputReference {
    /// Loads and checks a reference file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses and checks a reference; `path` names it in errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, ModelError> {
        let bad = |reason: String| ModelError::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        let reference: Self = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for (kind, stats) in &reference.statistics {
            for (name, s) in stats {
                let q = &s.quantiles;
                if s.samples == 0
                    || q.iter().any(|v| !v.is_finite())
                    || q.windows(2).any(|w| w[0] > w[1])
                {
                    return Err(bad(format!(
                        "statistic {kind}.{name}: needs samples and finite, non-decreasing quantiles"
                    )));
                }
            }
        }
        if let Some(a) = &reference.agreement {
            let unit = |v: f64| (0.0..=1.0).contains(&v);
            if a.window == 0 || !unit(a.recall) || !unit(a.precision) || !unit(a.recall_floor) {
                return Err(bad(
                    "agreement: window must be positive and rates within 0..1".into(),
                ));
            }
        }
        Ok(reference)
    }

    /// Writes the reference as TOML.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let text = toml::to_string_pretty(self).map_err(|e| ModelError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The reference of statistic `name` of sensor kind `kind`, if recorded.
    pub fn statistic(&self, kind: &str, name: &str) -> Option<&StatisticReference> {
        self.statistics.get(kind)?.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let r = StatisticReference::from_values(&values).unwrap();
        assert_eq!(r.quantiles, [1.0, 5.0, 50.0, 95.0, 99.0]);
        assert_eq!(
            StatisticReference::from_values(&[3.0]).unwrap().quantiles,
            [3.0; 5]
        );
        assert!(StatisticReference::from_values(&[]).is_none());
        assert!(StatisticReference::from_values(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn round_trips_and_rejects_unordered_quantiles() {
        let reference = InputReference {
            source: "test".into(),
            statistics: BTreeMap::from([(
                "camera".to_string(),
                BTreeMap::from([(
                    "brightness".to_string(),
                    StatisticReference::from_values(&[0.2, 0.4, 0.5]).unwrap(),
                )]),
            )]),
            agreement: Some(AgreementReference {
                window: 10,
                recall: 0.8,
                precision: 0.5,
                recall_floor: 0.4,
            }),
        };
        let text = toml::to_string_pretty(&reference).unwrap();
        let path = Path::new("ref.toml");
        assert_eq!(
            InputReference::from_toml_str(&text, path).unwrap(),
            reference
        );
        let broken = text.replace("0.2,", "0.9,");
        let err = InputReference::from_toml_str(&broken, path).unwrap_err();
        assert!(err.to_string().contains("camera.brightness"), "{err}");
    }
}
