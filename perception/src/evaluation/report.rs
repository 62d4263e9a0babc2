//! The evaluation report: what was compared with what, under which settings, and the metrics
//! of every block of frames (all frames; with a split, the tuning and held-out blocks). It
//! serialises to JSON (`kestrel eval --json`) and renders as text tables or markdown
//! (`EVALUATION.md`). Same inputs, same bytes: every container is ordered and no time or
//! machine detail goes in.

use super::acceptance::AcceptanceCheck;
use super::class_group::ClassGroup;
use super::detection_metrics::{BandName, DetectionReport};
use super::table::{Table, fmt_ratio, fmt_value};
use super::tracking_metrics::TrackingMetrics;
use serde::Serialize;

/// The settings an evaluation ran with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsReport {
    /// Labels and outputs beyond this ground-plane range from the vehicle origin are not
    /// scored, metres.
    pub max_range_m: f64,
    /// Edge between the near and far bands, metres.
    pub near_band_edge_m: f64,
    /// Match gate for vehicle labels, metres.
    pub vehicle_gate_m: f64,
    /// Match gate for other labels, metres.
    pub other_gate_m: f64,
    /// Margin of "lies on a label", metres.
    pub on_label_margin_m: f64,
    /// Largest time offset between a labelled frame and the output frame scored with it,
    /// milliseconds.
    pub time_tolerance_ms: f64,
    /// How outputs are matched to labels.
    pub matching: &'static str,
    /// The labelled region, when the dataset labels only part of the surroundings.
    pub label_scope: Option<String>,
    /// Whether the labels carry track ids (identity metrics are meaningful).
    pub labels_have_track_ids: bool,
}

/// The metrics of one block of frames.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockReport {
    /// `all frames`, `tuning` or `held-out`.
    pub name: String,
    /// The frame numbers, as ranges (`0-39`).
    pub frames: String,
    /// Number of labelled frames.
    pub frame_count: usize,
    /// Of those, frames with an output frame within the time tolerance.
    pub frames_with_outputs: usize,
    /// Labels in the frames (all, counted or not).
    pub labels: usize,
    /// Detection metrics of the `tracked` topic.
    pub tracked: DetectionReport,
    /// Detection metrics of the `detected` topic.
    pub detected: DetectionReport,
    /// Tracking metrics of the `tracked` topic.
    pub tracking: Vec<TrackingMetrics>,
    /// Issue 14's criteria on the `tracked` topic.
    pub acceptance: Vec<AcceptanceCheck>,
}

/// A whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationReport {
    /// The input, as named on the command line.
    pub input: String,
    /// Where the labels came from (path as given) and their dataset kind.
    pub labels: String,
    /// The dataset kind of the labels (`kitti`, `nuscenes`, `pandaset`, `mcap`).
    pub dataset: String,
    /// Where the outputs came from (`stack` with the model, or a `replay --json` file).
    pub outputs: String,
    /// The settings.
    pub settings: SettingsReport,
    /// The blocks: all frames first.
    pub blocks: Vec<BlockReport>,
}

fn detection_table(d: &DetectionReport) -> Table {
    let mut t = Table::new(&[
        "group",
        "band",
        "labels",
        "recall",
        "named",
        "class exact",
        "precision",
        "centre err m",
        "heading err deg",
        "axis err deg",
    ]);
    for g in ClassGroup::ALL {
        for band in [BandName::Near, BandName::Far, BandName::All] {
            let Some(m) = d.group(g, band) else { continue };
            t.row(vec![
                g.name().into(),
                band.label().into(),
                m.labels.to_string(),
                fmt_ratio(m.recall),
                fmt_ratio(m.named_share),
                fmt_ratio(m.class_exact_share),
                if g == ClassGroup::Other {
                    "n/a".into()
                } else {
                    format!("{} ({})", fmt_ratio(m.precision), m.claiming_outputs)
                },
                fmt_value(m.median_centre_error_m, 2),
                fmt_value(m.median_heading_error_deg, 1),
                fmt_value(m.median_axis_error_deg, 1),
            ]);
        }
    }
    t
}

fn output_table(d: &DetectionReport) -> Table {
    let mut t = Table::new(&[
        "band",
        "outputs",
        "precision",
        "unknown share",
        "classed on a label",
        "merged (matched)",
        "merged share of matched",
    ]);
    for m in &d.outputs {
        t.row(vec![
            m.band.label().into(),
            m.outputs.to_string(),
            fmt_ratio(m.precision),
            fmt_ratio(m.unknown_share),
            format!(
                "{} ({}/{})",
                fmt_ratio(m.on_label_share),
                m.classed_on_label,
                m.classed
            ),
            format!("{} ({})", m.merged, m.merged_matched),
            fmt_ratio(m.merged_share_of_matched),
        ]);
    }
    t
}

fn tracking_table(tracking: &[TrackingMetrics]) -> Table {
    let mut t = Table::new(&[
        "tracks",
        "label frames",
        "MOTA",
        "MOTP m",
        "misses",
        "false pos.",
        "ID sw.",
        "ID sw./100",
        "IDF1",
        "IDP",
        "IDR",
    ]);
    for m in tracking {
        t.row(vec![
            m.variant.label().into(),
            m.clear_mot.objects.to_string(),
            fmt_ratio(m.mota),
            fmt_value(m.motp_m, 2),
            m.clear_mot.misses.to_string(),
            m.clear_mot.false_positives.to_string(),
            m.clear_mot.id_switches.to_string(),
            fmt_value(m.id_switches_per_100, 2),
            fmt_ratio(m.idf1.idf1),
            fmt_ratio(m.idf1.idp),
            fmt_ratio(m.idf1.idr),
        ]);
    }
    t
}

fn acceptance_table(checks: &[AcceptanceCheck]) -> Table {
    let mut t = Table::new(&[
        "criterion (tracked topic)",
        "measured",
        "required",
        "result",
    ]);
    for c in checks {
        t.row(vec![
            c.criterion.into(),
            fmt_ratio(c.value),
            format!("{} {}", c.comparison.symbol(), c.threshold),
            match c.passed {
                Some(true) => "pass".into(),
                Some(false) => "FAIL".into(),
                None => "not measurable".into(),
            },
        ]);
    }
    t
}

/// How a table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Aligned text.
    Text,
    /// Markdown.
    Markdown,
}

impl EvaluationReport {
    /// The report as JSON (pretty, ends with a newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The report as text or markdown: a header, then per block its tables.
    pub fn render(&self, format: TableFormat) -> String {
        let table = |t: Table| match format {
            TableFormat::Text => t.to_text(),
            TableFormat::Markdown => t.to_markdown(),
        };
        let heading = |level: usize, s: &str| match format {
            TableFormat::Text => format!("{s}\n"),
            TableFormat::Markdown => format!("{} {s}\n", "#".repeat(level)),
        };
        let s = &self.settings;
        let mut out = String::new();
        out += &format!(
            "Input `{}`: labels `{}` ({}), outputs: {}.\n",
            self.input, self.labels, self.dataset, self.outputs
        );
        out += &format!(
            "Range {} m (bands 0-{} m, {}-{} m); matching: {}, gates {} m vehicles / {} m \
             others; on a label: footprint + {} m; time tolerance {} ms; label scope: {}; \
             label track ids: {}.\n",
            s.max_range_m,
            s.near_band_edge_m,
            s.near_band_edge_m,
            s.max_range_m,
            s.matching,
            s.vehicle_gate_m,
            s.other_gate_m,
            s.on_label_margin_m,
            s.time_tolerance_ms,
            s.label_scope.as_deref().unwrap_or("all around"),
            if s.labels_have_track_ids {
                "yes"
            } else {
                "no (each label is its own one-frame trajectory: no ID switch can occur)"
            }
        );
        for b in &self.blocks {
            out += "\n";
            out += &heading(
                4,
                &format!(
                    "{}: frames {} ({} frames, {} with outputs, {} labels)",
                    b.name, b.frames, b.frame_count, b.frames_with_outputs, b.labels
                ),
            );
            out += "\n";
            out += &heading(5, "Acceptance (issue 14)");
            out += &table(acceptance_table(&b.acceptance));
            for (name, d) in [("tracked", &b.tracked), ("detected", &b.detected)] {
                out += "\n";
                out += &heading(
                    5,
                    &format!("Detection by class group and range, `{name}` topic"),
                );
                out += &table(detection_table(d));
                out += "\n";
                out += &heading(5, &format!("All outputs, `{name}` topic"));
                out += &table(output_table(d));
            }
            out += "\n";
            out += &heading(5, "Tracking (`tracked` topic): CLEAR-MOT and IDF1");
            out += &table(tracking_table(&b.tracking));
        }
        out
    }
}
