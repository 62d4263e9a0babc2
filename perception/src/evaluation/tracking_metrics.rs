//! Tracking metrics of the `tracked` topic: CLEAR-MOT (the workspace's one implementation,
//! [`kestrel_sim::clear_mot`], with the optimal assignment of [`super::matching`]) and IDF1
//! ([`super::idf1`]), in two variants:
//!
//! - **all tracks**: objects = counted labels of every group; hypotheses = counted tracks of
//!   every class, `unknown` included;
//! - **tracks with a class**: objects = counted labels of the vehicle, pedestrian and cyclist
//!   groups; hypotheses = counted tracks whose class (in that frame) is not `unknown`.
//!   `unknown` tracks and `other` labels take no part: neither missed nor false.
//!
//! Counted labels and outputs are those of [`super::scored_frame`]; the candidate pairs are
//! those within the label group's gate. Object identities are the labels' track ids; a label
//! without one (KITTI, nuScenes) is its own one-frame trajectory, so identity switches cannot
//! happen on such data and IDF1 reduces to a per-frame score. Tracks without a track id are
//! skipped (the `tracked` topic always carries one).

use super::class_group::ClassGroup;
use super::error::EvalError;
use super::idf1::{Idf1, Idf1Totals};
use super::matching::{candidates, optimal_pairs};
use super::scored_frame::ScoredFrame;
use crate::object_messages::ObjectRecord;
use kestrel_sensors::{GroundTruthObject, ObjectClass};
use kestrel_sim::clear_mot::{ClearMot, ClearMotTotals};
use serde::Serialize;

/// The two variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TrackingVariant {
    /// Every counted label and track.
    #[serde(rename = "all tracks")]
    All,
    /// Labels of the classed groups and tracks with a class.
    #[serde(rename = "tracks with a class")]
    Classed,
}

impl TrackingVariant {
    /// The variant's name in tables.
    pub fn label(self) -> &'static str {
        match self {
            TrackingVariant::All => "all tracks",
            TrackingVariant::Classed => "tracks with a class",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct VariantAccumulator {
    clear_mot: ClearMot<String, u64>,
    idf1: Idf1<String, u64>,
}

/// Accumulates both variants over frames.
#[derive(Debug, Clone, Default)]
pub struct TrackingAccumulator {
    all: VariantAccumulator,
    classed: VariantAccumulator,
}

fn object_id(frame: u32, index: usize, l: &GroundTruthObject) -> String {
    l.track_id
        .clone()
        .unwrap_or_else(|| format!("frame {frame} label {index}"))
}

impl TrackingAccumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one frame of the `tracked` topic.
    pub fn add_frame(&mut self, f: &ScoredFrame<'_>) -> Result<(), EvalError> {
        for variant in [TrackingVariant::All, TrackingVariant::Classed] {
            let classed = variant == TrackingVariant::Classed;
            let labels: Vec<(usize, &GroundTruthObject)> = f
                .labels
                .iter()
                .enumerate()
                .filter(|&(i, _)| f.label_band[i].is_some())
                .filter(|&(i, _)| !classed || f.label_group(i) != ClassGroup::Other)
                .collect();
            let outputs: Vec<&ObjectRecord> = f
                .outputs
                .iter()
                .enumerate()
                .filter(|&(j, o)| f.output_band[j].is_some() && o.track_id.is_some())
                .filter(|&(_, o)| !classed || o.class != ObjectClass::Unknown)
                .map(|(_, o)| o)
                .collect();
            let ids: Vec<String> = labels
                .iter()
                .map(|&(i, l)| object_id(f.number, i, l))
                .collect();
            let tracks: Vec<u64> = outputs.iter().filter_map(|o| o.track_id).collect();
            let label_refs: Vec<&GroundTruthObject> = labels.iter().map(|&(_, l)| l).collect();
            let cands = candidates(&label_refs, &outputs);
            let acc = match variant {
                TrackingVariant::All => &mut self.all,
                TrackingVariant::Classed => &mut self.classed,
            };
            let mut failure = None;
            acc.clear_mot.add_frame(&ids, &tracks, &cands, |remaining| {
                optimal_pairs(ids.len(), tracks.len(), remaining).unwrap_or_else(|e| {
                    failure = Some(e);
                    Vec::new()
                })
            });
            if let Some(e) = failure {
                return Err(e);
            }
            acc.idf1.add_frame(&ids, &tracks, &cands);
        }
        Ok(())
    }

    /// Both variants' metrics so far.
    pub fn report(&self) -> Result<Vec<TrackingMetrics>, EvalError> {
        [
            (TrackingVariant::All, &self.all),
            (TrackingVariant::Classed, &self.classed),
        ]
        .into_iter()
        .map(|(variant, acc)| {
            let clear_mot = acc.clear_mot.totals();
            Ok(TrackingMetrics {
                variant,
                mota: clear_mot.mota(),
                motp_m: clear_mot.motp(),
                id_switches_per_100: clear_mot.id_switches_per_100(),
                clear_mot,
                idf1: acc.idf1.totals()?,
            })
        })
        .collect()
    }
}

/// Tracking metrics of one variant (module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackingMetrics {
    /// The variant.
    pub variant: TrackingVariant,
    /// CLEAR-MOT MOTA.
    pub mota: Option<f64>,
    /// CLEAR-MOT MOTP: mean ground-plane centre distance of the matches, metres.
    pub motp_m: Option<f64>,
    /// Identity switches per 100 labelled track-frames (object instances).
    pub id_switches_per_100: Option<f64>,
    /// CLEAR-MOT counts.
    pub clear_mot: ClearMotTotals,
    /// IDF1 counts and scores.
    pub idf1: Idf1Totals,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::label_source::SequenceFrame;
    use crate::evaluation::matching::tests::{label, output};
    use crate::evaluation::scored_frame::EvalRegion;
    use kestrel_sensors::{LabelledFrame, Timestamp};

    /// A pedestrian tracked by track 1 for two frames, then by track 2 (one switch); an
    /// `unknown` track on a car label all along: it finds the car in "all tracks" only, so in
    /// "tracks with a class" the car is missed three times.
    #[test]
    fn switch_and_unknown_tracks() {
        let region = EvalRegion {
            max_range: 50.0,
            near_band_edge: 30.0,
            scope: None,
        };
        let mut acc = TrackingAccumulator::new();
        for n in 0..3u32 {
            let mut ped = label(ObjectClass::Pedestrian, 10.0 + n as f64, 0.0, 0.6, 0.6);
            ped.track_id = Some("ped".into());
            let mut car = label(ObjectClass::Car, 20.0, 5.0, 4.0, 1.8);
            car.track_id = Some("car".into());
            let frame = SequenceFrame {
                number: n,
                name: n.to_string(),
                labels: LabelledFrame {
                    timestamp: Timestamp(n as u64),
                    frame: "vehicle".into(),
                    objects: vec![ped, car],
                },
                not_evaluable: vec![],
            };
            let id = if n < 2 { 1 } else { 2 };
            let outputs = vec![
                output(
                    ObjectClass::Pedestrian,
                    10.2 + n as f64,
                    0.0,
                    0.6,
                    0.6,
                    Some(id),
                ),
                output(ObjectClass::Unknown, 20.0, 5.5, 4.0, 1.8, Some(9)),
            ];
            let scored = ScoredFrame::new(&frame, &outputs, &region).unwrap();
            acc.add_frame(&scored).unwrap();
        }
        let r = acc.report().unwrap();
        let all = &r[0];
        assert_eq!(all.variant, TrackingVariant::All);
        assert_eq!(all.clear_mot.objects, 6);
        assert_eq!(all.clear_mot.id_switches, 1);
        assert_eq!(all.mota, Some(1.0 - 1.0 / 6.0));
        // IDF1: ped-1 2 frames, car-9 3 frames: IDTP 5 of 6 + 6.
        assert_eq!(all.idf1.idtp, 5);
        assert!((all.idf1.idf1.unwrap() - 10.0 / 12.0).abs() < 1e-12);
        let classed = &r[1];
        assert_eq!(classed.clear_mot.objects, 6);
        assert_eq!(classed.clear_mot.hypotheses, 3);
        assert_eq!(classed.clear_mot.misses, 3);
        assert_eq!(classed.clear_mot.id_switches, 1);
        assert_eq!(classed.mota, Some(1.0 - 4.0 / 6.0));
        assert!((classed.id_switches_per_100.unwrap() - 100.0 / 6.0).abs() < 1e-9);
        assert!((classed.motp_m.unwrap() - 0.2).abs() < 1e-9);
    }
}
