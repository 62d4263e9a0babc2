//! Which cameras the detector runs on in a frame.
//!
//! A rig with more cameras than the frame budget allows runs a fixed subset every frame (e.g.
//! the front camera) and rotates the others round-robin over the remaining slots, keyed by the
//! frame set's sequence number — deterministic, so a replay runs the same cameras on the same
//! frames. The tracker carries each object's class between the frames its cameras run.

use serde::{Deserialize, Serialize};

/// The camera schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraSchedule {
    /// Cameras detected in every frame that has them (rig names). Default: none.
    pub always: Vec<String>,
    /// Cameras detected per frame, the `always` ones included; 0 = every camera every
    /// frame. Default 0.
    pub per_frame: usize,
}

impl CameraSchedule {
    /// Which of `cameras` (the frame set's camera names, in order) run in frame set number
    /// `sequence`: a mask in the same order.
    pub fn select(&self, cameras: &[&str], sequence: u64) -> Vec<bool> {
        if self.per_frame == 0 || self.per_frame >= cameras.len() {
            return vec![true; cameras.len()];
        }
        let mut run: Vec<bool> = cameras
            .iter()
            .map(|c| self.always.iter().any(|a| a == c))
            .collect();
        let fixed = run.iter().filter(|&&r| r).count();
        let slots = self.per_frame.saturating_sub(fixed);
        let rest: Vec<usize> = (0..cameras.len()).filter(|&i| !run[i]).collect();
        if !rest.is_empty() {
            let n = rest.len() as u64;
            let first = sequence.wrapping_mul(slots as u64) % n;
            for j in 0..slots.min(rest.len()) as u64 {
                run[rest[((first + j) % n) as usize]] = true;
            }
        }
        run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIG: [&str; 6] = [
        "front",
        "front_left",
        "front_right",
        "left",
        "right",
        "back",
    ];

    #[test]
    fn front_every_frame_and_the_others_in_turn() {
        let s = CameraSchedule {
            always: vec!["front".into()],
            per_frame: 3,
        };
        let mut runs = [0u32; 6];
        for seq in 0..10 {
            let m = s.select(&RIG, seq);
            assert!(m[0], "front runs every frame");
            assert_eq!(m.iter().filter(|&&r| r).count(), 3);
            for (r, &on) in runs.iter_mut().zip(&m) {
                *r += on as u32;
            }
        }
        // Ten frames, two rotating slots over five cameras: four runs each.
        assert_eq!(runs, [10, 4, 4, 4, 4, 4]);
        assert_eq!(s.select(&RIG, 7), s.select(&RIG, 7));
    }

    #[test]
    fn zero_or_enough_slots_run_every_camera() {
        assert!(CameraSchedule::default().select(&RIG, 3).iter().all(|&r| r));
        let s = CameraSchedule {
            always: vec![],
            per_frame: 6,
        };
        assert!(s.select(&RIG, 1).iter().all(|&r| r));
        // A set missing some cameras rotates over the ones it has.
        let s = CameraSchedule {
            always: vec!["front".into()],
            per_frame: 2,
        };
        assert_eq!(
            s.select(&["front", "left", "back"], 5),
            vec![true, false, true]
        );
        assert_eq!(
            s.select(&["left", "back", "right"], 0),
            vec![true, true, false]
        );
        assert_eq!(
            s.select(&["left", "back", "right"], 1),
            vec![true, false, true]
        );
    }
}
