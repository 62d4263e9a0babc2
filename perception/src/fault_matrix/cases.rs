//! The faults of the matrix, each with its declared behaviour and the check of it. Times are
//! seconds after the input's first message; the shipped sequence is 2 s of a 10 Hz LiDAR,
//! six 10 Hz cameras and ego odometry. The runtime settings are the defaults except a health
//! report every 0.1 s (`stale_after_s` 0.5 s, `max_clock_jump_s` 1 s).

use super::observation::{Observation, drifted, frozen, stale};

/// The check's outcome: passed or not, and what was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The declared behaviour held.
    pub passed: bool,
    /// What was measured, in words.
    pub measured: String,
}

impl Verdict {
    /// A verdict.
    pub fn of(passed: bool, measured: String) -> Self {
        Self { passed, measured }
    }
}

/// One row of the matrix.
pub struct FaultCase {
    /// Short name.
    pub name: &'static str,
    /// The fault plan, inline (`kestrel replay --faults`).
    pub spec: &'static str,
    /// The declared behaviour.
    pub expected: &'static str,
    /// Checks the faulted replay against the declared behaviour (and the clean replay).
    pub check: fn(&Observation, &Observation) -> Verdict,
}

/// Frames published with the stage's degraded flag `flag`, by the end of the run.
fn flagged_frames(o: &Observation, flag: &str) -> u64 {
    o.summary.health.frame_flags.get(flag).copied().unwrap_or(0)
}

fn secs(s: Option<f64>) -> String {
    s.map_or("never".into(), |s| format!("{s:.1} s"))
}

/// The matrix.
pub fn fault_cases() -> Vec<FaultCase> {
    vec![
        FaultCase {
            name: "LiDAR dropout",
            spec: "dropout sensor=lidar_top from_s=0.5 for_s=0.6",
            expected: "lidar_top STALE within 0.6 s (stale_after_s + one health period); \
                       frames go on, anchored by the front camera and flagged `lidar missing`; \
                       OK again within 0.2 s of its return",
            check: |o, _| {
                let stale_at = o.first_report(0.5, |r| stale(r, "lidar_top"));
                let back = o.first_report(1.1, |r| !stale(r, "lidar_top"));
                let during = o.frames_between(0.5, 1.1);
                let missing = flagged_frames(o, "lidar missing");
                Verdict::of(
                    stale_at.is_some_and(|s| s <= 1.1 + 1e-6)
                        && back.is_some_and(|s| s <= 1.3 + 1e-6)
                        && during >= 5
                        && missing >= 5,
                    format!(
                        "stale at {}, OK again at {}; {during} frames during the outage, \
                         {missing} flagged `lidar missing`",
                        secs(stale_at),
                        secs(back)
                    ),
                )
            },
        },
        FaultCase {
            name: "camera lost for good",
            spec: "dropout sensor=front_camera from_s=0.5",
            expected: "front_camera STALE within 0.6 s and to the end; LiDAR frames go on \
                       at the full rate",
            check: |o, clean| {
                let stale_at = o.first_report(0.5, |r| stale(r, "front_camera"));
                let recovered = o.first_report(1.1, |r| !stale(r, "front_camera"));
                let after = o.frames_between(0.5, 10.0);
                let clean_after = clean.frames_between(0.5, 10.0);
                Verdict::of(
                    stale_at.is_some_and(|s| s <= 1.1 + 1e-6)
                        && recovered.is_none()
                        && after == clean_after,
                    format!(
                        "stale at {}, to the end: {}; {after} of {clean_after} frames after \
                         the loss",
                        secs(stale_at),
                        recovered.is_none()
                    ),
                )
            },
        },
        FaultCase {
            name: "total blackout",
            spec: "dropout from_s=0.5 for_s=0.6",
            expected: "every sensor STALE within 0.6 s, no frame during the blackout (nothing \
                       invented); frames again within 0.2 s of the return",
            check: |o, _| {
                let all_stale = |r: &crate::health::HealthReport| r.sensors.iter().all(|s| s.stale);
                let stale_at = o.first_report(0.5, all_stale);
                let during = o.frames_between(0.6, 1.1);
                let resumed = o
                    .seen
                    .frames
                    .iter()
                    .map(|f| o.elapsed_s(f.stamp))
                    .find(|&s| s >= 1.1);
                Verdict::of(
                    stale_at.is_some_and(|s| s <= 1.1 + 1e-6)
                        && during == 0
                        && resumed.is_some_and(|s| s <= 1.3 + 1e-6),
                    format!(
                        "all stale at {}; {during} frames in the blackout; first frame after \
                         it at {}",
                        secs(stale_at),
                        secs(resumed)
                    ),
                )
            },
        },
        FaultCase {
            name: "LiDAR delay and jitter",
            spec: "delay sensor=lidar_top delay_s=0.05 jitter_s=0.1",
            expected: "sweeps arriving within the time alignment's latency budget are used; \
                       later ones are rejected by the stage with a typed error and counted \
                       (none lost silently); every frame is still published",
            check: |o, clean| {
                let late = o.summary.health.stage_errors;
                let missing = flagged_frames(o, "lidar missing");
                let frames = o.seen.frames.len();
                Verdict::of(
                    late == missing && frames == clean.seen.frames.len(),
                    format!(
                        "{} of {} sweeps used, {late} rejected as late and counted; {frames} \
                         frames",
                        o.hits[0] - late,
                        o.hits[0]
                    ),
                )
            },
        },
        FaultCase {
            name: "duplicates",
            spec: "duplicate probability=0.3",
            expected: "every duplicate refused at admission and counted as out of order; \
                       outputs bit-identical to the clean replay",
            check: |o, clean| {
                let refused = o.summary.counters.out_of_order;
                Verdict::of(
                    refused == o.hits[0] && o.summary.digest == clean.summary.digest,
                    format!(
                        "{refused} refused of {} duplicated; digest {} the clean one",
                        o.hits[0],
                        if o.summary.digest == clean.summary.digest {
                            "equals"
                        } else {
                            "differs from"
                        }
                    ),
                )
            },
        },
        FaultCase {
            name: "reordering",
            spec: "reorder probability=0.2",
            expected: "a message arriving after its sensor's next one is refused and counted; \
                       the newer one is used",
            check: |o, _| {
                let refused = o.summary.counters.out_of_order;
                Verdict::of(
                    refused == o.hits[0],
                    format!("{refused} refused of {} reordered", o.hits[0]),
                )
            },
        },
        FaultCase {
            name: "one clock leaps ahead",
            spec: "time_jump sensor=lidar_top jump_s=3 from_s=1 for_s=0.3",
            expected: "the leaping sweeps refused as clock jumps (they would drag the time \
                       alignment 3 s ahead and make every camera late); the LiDAR is used \
                       again as soon as its clock is back",
            check: |o, _| {
                let jumps = o.summary.counters.clock_jumps;
                let missing = flagged_frames(o, "lidar missing");
                Verdict::of(
                    jumps == o.hits[0] && missing == jumps && o.summary.health.stage_errors == 0,
                    format!(
                        "{jumps} refused of {} leaping sweeps; {missing} frames without LiDAR; \
                         {} messages rejected late",
                        o.hits[0], o.summary.health.stage_errors
                    ),
                )
            },
        },
        FaultCase {
            name: "every clock leaps ahead",
            spec: "time_jump jump_s=3 from_s=1",
            expected: "at most the first leaping message refused (the other sensors vouch for \
                       the new time); frames go on in the new time; tracks not updated for \
                       3 s are deleted (max_coast_s 1.5 s) and re-acquired under new ids",
            check: |o, _| {
                let jumps = o.summary.counters.clock_jumps;
                let after = o.frames_between(4.0, 5.0);
                Verdict::of(
                    jumps <= 1 && after >= 9,
                    format!("{jumps} refused; {after} frames in the new time"),
                )
            },
        },
        FaultCase {
            name: "every clock steps back",
            spec: "time_jump jump_s=-0.5 from_s=1",
            expected: "each sensor's messages refused as a clock step until its stamps pass the \
                       last admitted one (0.5 s of data); tracking restarts (the data that \
                       follows is from later than its stamps), so no old track coasts beside \
                       its re-birth; frames then resume",
            check: |o, _| {
                let refused = o.summary.counters.clock_jumps;
                let restarts = o.summary.counters.tracking_restarts;
                let resumed = o.frames_between(1.0, 1.6);
                Verdict::of(
                    (35..=45).contains(&refused) && restarts >= 1 && resumed >= 4,
                    format!(
                        "{refused} refused, tracking restarts: {restarts}; {resumed} \
                         frames after the step"
                    ),
                )
            },
        },
        FaultCase {
            name: "non-finite points",
            spec: "non_finite sensor=lidar_top fraction=0.05",
            expected: "NaN and infinite points ignored by the LiDAR branch; tracks within 10% \
                       of the clean replay",
            check: |o, clean| {
                let n = o.summary.counters.tracked_objects as f64;
                let c = clean.summary.counters.tracked_objects as f64;
                Verdict::of(
                    (n - c).abs() <= 0.1 * c,
                    format!("{n} tracked objects published (clean {c})"),
                )
            },
        },
        FaultCase {
            name: "corrupt pixels",
            spec: "corrupt_pixels sensor=front_camera fraction=0.1",
            expected: "every frame published; the camera keeps its place in the frame set",
            check: |o, clean| {
                let missing = flagged_frames(o, "sensor `front_camera` missing from frame set");
                Verdict::of(
                    o.seen.frames.len() == clean.seen.frames.len() && missing == 0,
                    format!(
                        "{} frames; {} detected objects (clean {})",
                        o.seen.frames.len(),
                        o.summary.counters.detected_objects,
                        clean.summary.counters.detected_objects
                    ),
                )
            },
        },
        FaultCase {
            name: "truncated images",
            spec: "truncate sensor=front_camera probability=0.5",
            expected: "each cut message fails to decode with a typed error and is counted as \
                       unreadable; frames go on without that camera",
            check: |o, clean| {
                let unreadable = o.summary.counters.source_errors;
                let missing = flagged_frames(o, "sensor `front_camera` missing from frame set");
                Verdict::of(
                    unreadable == o.hits[0]
                        && missing == unreadable
                        && o.seen.frames.len() == clean.seen.frames.len(),
                    format!(
                        "{unreadable} unreadable of {} cut; {missing} frames without the camera",
                        o.hits[0]
                    ),
                )
            },
        },
        FaultCase {
            name: "flipped bits",
            spec: "bit_flip probability=1 flips=4",
            expected: "every message of every sensor damaged on the wire: one whose structure \
                       breaks fails to decode (typed error, counted as unreadable), the others \
                       are used as decoded (a flipped stamp meets the admission rule, odometry \
                       no vehicle could produce is refused by the ego-motion gate); frames go on \
                       with tracks within 10% of the clean replay's",
            check: |o, clean| {
                let unreadable = o.summary.counters.source_errors;
                let refused = o.summary.health.stage_errors;
                let n = o.summary.counters.tracked_objects as f64;
                let c = clean.summary.counters.tracked_objects as f64;
                Verdict::of(
                    unreadable <= o.hits[0]
                        && o.seen.frames.len() == clean.seen.frames.len()
                        && (n - c).abs() <= 0.1 * c,
                    format!(
                        "{} damaged, {unreadable} unreadable, {refused} refused by the stage; \
                         {} frames, {n} tracked objects (clean {c})",
                        o.hits[0],
                        o.seen.frames.len()
                    ),
                )
            },
        },
        FaultCase {
            name: "frozen camera",
            spec: "freeze sensor=front_camera from_s=0.5 for_s=1",
            expected: "front_camera flagged frozen (diagnostics ERROR) by its third identical \
                       image (0.3 s); not frozen within 0.2 s after it recovers",
            check: |o, _| {
                let at = o.first_report(0.5, |r| frozen(r, "front_camera"));
                let back = o.first_report(1.5, |r| !frozen(r, "front_camera"));
                Verdict::of(
                    at.is_some_and(|s| s <= 0.8 + 1e-6) && back.is_some_and(|s| s <= 1.7 + 1e-6),
                    format!("frozen at {}, live again at {}", secs(at), secs(back)),
                )
            },
        },
        FaultCase {
            name: "LiDAR returns 20% of points",
            spec: "partial_lidar sensor=lidar_top keep=0.2 from_s=0.5",
            expected: "the input drift monitor flags lidar_top `points` within 1 s (its window \
                       of 10 sweeps); frames go on",
            check: |o, clean| {
                let at = o.first_report(0.5, |r| drifted(r, "lidar_top", "points"));
                Verdict::of(
                    at.is_some_and(|s| s <= 1.5 + 1e-6)
                        && o.seen.frames.len() == clean.seen.frames.len(),
                    format!(
                        "points drift flagged at {}; {} frames",
                        secs(at),
                        o.seen.frames.len()
                    ),
                )
            },
        },
    ]
}
