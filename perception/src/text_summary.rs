//! A human-readable live view of a run: one line per health report (objects, latency, degraded
//! conditions), written to any `io::Write` (the CLI passes stdout).

use crate::error::PerceptionError;
use crate::health::HealthReport;
use crate::output::{EncodedFrame, OutputSink};
use std::io::Write;

/// Writes a short status line at every health report.
pub struct TextSummarySink<W: Write + Send> {
    out: W,
    last_frame: Option<(u64, usize, usize)>,
}

impl<W: Write + Send> TextSummarySink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            last_frame: None,
        }
    }
}

/// The status line of a health report; `last` = (stamp ns, tracks, detections) of the latest
/// frame.
pub fn status_line(report: &HealthReport, last: Option<(u64, usize, usize)>) -> String {
    let mut line = format!("[{}] frames {}", report.stamp, report.outputs);
    if let Some((stamp, tracks, detections)) = last {
        line.push_str(&format!(
            ", last frame {}.{:09}s: {tracks} tracks, {detections} detections",
            stamp / 1_000_000_000,
            stamp % 1_000_000_000
        ));
    }
    for s in &report.stages {
        line.push_str(&format!(
            " | {} p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
            s.stage, s.p50_ms, s.p99_ms, s.max_ms
        ));
        if let Some(b) = s.budget_ms {
            line.push_str(&format!(
                " (budget {b:.1} ms, {} misses)",
                s.deadline_misses
            ));
        }
    }
    if !report.degraded.is_empty() {
        line.push_str(&format!(" | DEGRADED: {}", report.degraded.join("; ")));
    }
    line
}

impl<W: Write + Send> OutputSink for TextSummarySink<W> {
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        self.last_frame = Some((
            frame.stamp.as_nanos(),
            frame.tracked.objects.len(),
            frame.detected.objects.len(),
        ));
        Ok(())
    }

    fn on_health(&mut self, report: &HealthReport) -> Result<(), PerceptionError> {
        writeln!(self.out, "{}", status_line(report, self.last_frame))
            .map_err(|e| PerceptionError::io("<summary output>", e))
    }
}
