//! Grouping radar detections of one instant into objects: connected components of the graph
//! that links two detections when they are close in the ground plane **and** agree in
//! compensated radial velocity.

use crate::FusionError;
use nalgebra::Point3;
use serde::{Deserialize, Serialize};

/// Gates of the radar clustering.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RadarClusterConfig {
    /// Largest ground-plane distance between linked detections, metres. Default 2.5.
    pub distance_gate_m: f64,
    /// Largest difference of compensated radial velocity between linked detections, m/s.
    /// Default 1.5.
    pub velocity_gate_mps: f64,
}

impl Default for RadarClusterConfig {
    fn default() -> Self {
        Self {
            distance_gate_m: 2.5,
            velocity_gate_mps: 1.5,
        }
    }
}

impl RadarClusterConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        for (field, v) in [
            ("radar.cluster.distance_gate_m", self.distance_gate_m),
            ("radar.cluster.velocity_gate_mps", self.velocity_gate_mps),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v,
                    reason: "must be positive and finite",
                });
            }
        }
        Ok(())
    }
}

/// Groups detections given as `(position, compensated radial velocity)` (vehicle frame,
/// metres, m/s). Returns the groups as index lists; each group is sorted, and groups are
/// ordered by their smallest index (deterministic).
pub fn cluster_detections(
    detections: &[(Point3<f64>, f64)],
    config: &RadarClusterConfig,
) -> Vec<Vec<usize>> {
    let n = detections.len();
    let mut label = vec![usize::MAX; n];
    let mut groups = Vec::new();
    let mut stack = Vec::new();
    for seed in 0..n {
        if label[seed] != usize::MAX {
            continue;
        }
        let id = groups.len();
        label[seed] = id;
        stack.push(seed);
        let mut members = Vec::new();
        while let Some(i) = stack.pop() {
            members.push(i);
            let (pi, vi) = detections[i];
            for j in 0..n {
                if label[j] != usize::MAX {
                    continue;
                }
                let (pj, vj) = detections[j];
                let d = ((pi.x - pj.x).powi(2) + (pi.y - pj.y).powi(2)).sqrt();
                if d <= config.distance_gate_m && (vi - vj).abs() <= config.velocity_gate_mps {
                    label[j] = id;
                    stack.push(j);
                }
            }
        }
        members.sort_unstable();
        groups.push(members);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_distance_and_by_velocity() {
        let p = |x: f64, y: f64| Point3::new(x, y, 0.5);
        let dets = [
            (p(20.0, 0.0), 5.0),
            (p(21.0, 0.5), 5.3),
            (p(20.5, 1.0), -2.0), // same place, other speed: a different object
            (p(40.0, 0.0), 5.0),  // far away
            (p(22.0, 1.2), 5.1),  // chained to the first two
        ];
        let g = cluster_detections(&dets, &RadarClusterConfig::default());
        assert_eq!(g, vec![vec![0, 1, 4], vec![2], vec![3]]);
        assert!(cluster_detections(&[], &RadarClusterConfig::default()).is_empty());
    }
}
