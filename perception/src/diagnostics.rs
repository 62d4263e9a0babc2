//! The health report as ROS 2 diagnostics: a `diagnostic_msgs/msg/DiagnosticArray` with one
//! `DiagnosticStatus` per sensor, per timed stage and for the fused output, as planners and
//! `rqt_runtime_monitor` / `diagnostic_aggregator` read them on `/diagnostics`.
//!
//! Levels:
//! - sensor: `STALE` when silent for longer than `runtime.stale_after_s`, `ERROR` when no
//!   message ever arrived or when it is frozen (repeating the same data), `WARN` when its
//!   input queue dropped messages or messages were refused at admission (duplicates,
//!   reordering, clock jumps), else `OK`;
//! - stage: `WARN` when over its latency budget, else `OK`;
//! - output: `ERROR` when nothing was published yet although messages arrived and the stage
//!   rejected some, `WARN` for any other degraded condition of the report, else `OK`.
//!
//! Status names are `<node>: sensor <name>`, `<node>: stage <name>` and `<node>: output`;
//! `hardware_id` is the sensor name (empty for stages and output). Values are plain text:
//! rates in Hz, ages in seconds, latencies in milliseconds.

use crate::drift_monitor::DriftStatus;
use crate::health::{HealthReport, QueueHealth, SensorHealth};
use kestrel_log::ros2_msg::diagnostic_msgs::{DiagnosticArray, DiagnosticStatus, KeyValue, level};
use kestrel_log::ros2_msg::std_msgs::Header;

fn kv(key: &str, value: impl ToString) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value.to_string(),
    }
}

fn sensor_status(node: &str, s: &SensorHealth, queue: Option<&QueueHealth>) -> DiagnosticStatus {
    let dropped = queue.map_or(0, |q| q.stats.dropped);
    let (lvl, message) = match s.age_s {
        None => (level::ERROR, "no message received".to_owned()),
        Some(age) if s.stale => (level::STALE, format!("stale: last message {age:.3} s ago")),
        Some(_) if s.frozen => (level::ERROR, "frozen: repeating the same data".to_owned()),
        Some(_) if dropped > 0 => (
            level::WARN,
            format!("input queue dropped {dropped} messages"),
        ),
        Some(_) if s.refused > 0 => (
            level::WARN,
            format!(
                "{} messages refused (duplicate, reordered or clock jump)",
                s.refused
            ),
        ),
        Some(_) => (level::OK, format!("{:.1} Hz", s.rate_hz)),
    };
    let mut values = vec![
        kv("kind", &s.kind),
        kv("messages", s.messages),
        kv("rate_hz", format!("{:.3}", s.rate_hz)),
        kv(
            "age_s",
            s.age_s.map_or("never".to_owned(), |a| format!("{a:.3}")),
        ),
        kv("refused", s.refused),
    ];
    if let Some(q) = queue {
        values.push(kv("queue_pushed", q.stats.pushed));
        values.push(kv("queue_dropped", q.stats.dropped));
        values.push(kv("queue_high_water", q.stats.high_water));
    }
    DiagnosticStatus {
        level: lvl,
        name: format!("{node}: sensor {}", s.sensor),
        message,
        hardware_id: s.sensor.clone(),
        values,
    }
}

/// The diagnostics of `report` for node `node` (e.g. `kestrel_perception`).
pub fn diagnostic_array(report: &HealthReport, node: &str) -> DiagnosticArray {
    let mut status = Vec::new();
    for s in &report.sensors {
        let queue = report
            .queues
            .iter()
            .find(|q| q.queue == format!("input/{}", s.sensor));
        status.push(sensor_status(node, s, queue));
    }
    for st in &report.stages {
        let ms = |v: f64| format!("{v:.3}");
        let mut values = vec![
            kv("samples", st.samples),
            kv("mean_ms", ms(st.mean_ms)),
            kv("p50_ms", ms(st.p50_ms)),
            kv("p99_ms", ms(st.p99_ms)),
            kv("max_ms", ms(st.max_ms)),
            kv("deadline_misses", st.deadline_misses),
        ];
        if let (Some(b), Some(p)) = (st.budget_ms, st.budget_percentile) {
            values.push(kv("budget_ms", ms(b)));
            values.push(kv("budget_percentile", p));
        }
        let (lvl, message) = if st.within_budget {
            (level::OK, format!("p99 {:.2} ms", st.p99_ms))
        } else {
            (
                level::WARN,
                format!(
                    "over budget: p{} = {:.2} ms > {:.2} ms",
                    st.budget_percentile.unwrap_or_default(),
                    st.at_budget_percentile_ms.unwrap_or_default(),
                    st.budget_ms.unwrap_or_default()
                ),
            )
        };
        status.push(DiagnosticStatus {
            level: lvl,
            name: format!("{node}: stage {}", st.stage),
            message,
            hardware_id: String::new(),
            values,
        });
    }
    let received: u64 = report.sensors.iter().map(|s| s.messages).sum();
    let (lvl, message) = if report.outputs == 0 && received > 0 && report.stage_errors > 0 {
        (
            level::ERROR,
            "no output: the stage rejects the inputs".to_owned(),
        )
    } else if report.degraded.is_empty() {
        (level::OK, format!("{} frames published", report.outputs))
    } else {
        (
            level::WARN,
            format!("degraded: {}", report.degraded.join("; ")),
        )
    };
    let mut values = vec![
        kv("outputs", report.outputs),
        kv("stage_errors", report.stage_errors),
    ];
    values.extend(
        report
            .degraded
            .iter()
            .enumerate()
            .map(|(i, d)| kv(&format!("degraded_{i}"), d)),
    );
    status.push(DiagnosticStatus {
        level: lvl,
        name: format!("{node}: output"),
        message,
        hardware_id: String::new(),
        values,
    });
    status.extend(monitor_statuses(report, node));
    DiagnosticArray {
        header: Header::new(report.stamp, ""),
        status,
    }
}

/// The model monitors: one status for input drift, one for the shadow teacher when it runs.
fn monitor_statuses(report: &HealthReport, node: &str) -> Vec<DiagnosticStatus> {
    let m = &report.monitors;
    let mut out = Vec::new();
    if !m.drift.is_empty() {
        let drifted: Vec<&DriftStatus> = m.drift.iter().filter(|d| d.drifted).collect();
        let (lvl, message) = if drifted.is_empty() {
            (
                level::OK,
                format!(
                    "{} input statistics within the model's reference",
                    m.drift.len()
                ),
            )
        } else {
            let names: Vec<String> = drifted
                .iter()
                .map(|d| format!("{} {}", d.sensor, d.statistic))
                .collect();
            (level::WARN, format!("drifted: {}", names.join(", ")))
        };
        let values = m
            .drift
            .iter()
            .filter_map(|d| {
                let median = d.window_median?;
                Some(kv(
                    &format!("{}.{}", d.sensor, d.statistic),
                    format!("{median:.5}"),
                ))
            })
            .collect();
        out.push(DiagnosticStatus {
            level: lvl,
            name: format!("{node}: input drift"),
            message,
            hardware_id: String::new(),
            values,
        });
    }
    if let Some(s) = &m.shadow {
        let rate = |v: Option<f32>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
        let mut values = vec![
            kv("assessed", s.assessed),
            kv("skipped_busy", s.skipped_busy),
            kv("failed", s.failed),
            kv("recall", rate(s.overall().recall())),
            kv("precision", rate(s.overall().precision())),
            kv("windows_below_floor", s.windows_below_floor),
        ];
        if let Some(r) = s.rolling {
            values.push(kv("rolling_recall", rate(r.recall())));
            values.push(kv("rolling_precision", rate(r.precision())));
        }
        if let Some(f) = s.recall_floor {
            values.push(kv("recall_floor", format!("{f:.3}")));
        }
        out.push(DiagnosticStatus {
            level: if s.below_floor() {
                level::WARN
            } else {
                level::OK
            },
            name: format!("{node}: shadow teacher"),
            message: s.describe(),
            hardware_id: String::new(),
            values,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounded_queue::QueueStats;
    use crate::health::HealthMonitor;
    use kestrel_log::ros2_msg::RosMessage;
    use kestrel_sensors::Timestamp;

    const S: u64 = 1_000_000_000;

    #[test]
    fn levels_follow_sensor_and_stage_health() {
        let mut h = HealthMonitor::new(["lidar", "cam", "radar", "never", "frozen", "dup"], 0.5);
        for i in 0..5 {
            h.on_message("lidar", "lidar", Timestamp(10 * S + i * S / 10), Some(i));
            h.on_message("radar", "radar", Timestamp(10 * S + i * S / 10), None);
            h.on_message("frozen", "camera", Timestamp(10 * S + i * S / 10), Some(7));
            h.on_message("dup", "lidar", Timestamp(10 * S + i * S / 10), Some(i));
        }
        h.on_refused("dup");
        h.on_message("cam", "camera", Timestamp(9 * S), None);
        let q = QueueHealth {
            queue: "input/radar".into(),
            stats: QueueStats {
                pushed: 5,
                dropped: 2,
                len: 0,
                high_water: 4,
            },
        };
        let r = h.report(Timestamp(10 * S + S / 2), vec![], vec![q], 3);
        let d = diagnostic_array(&r, "kestrel");
        let by_name = |n: &str| d.status.iter().find(|s| s.name == n).unwrap();
        assert_eq!(by_name("kestrel: sensor lidar").level, level::OK);
        assert_eq!(by_name("kestrel: sensor cam").level, level::STALE);
        assert_eq!(by_name("kestrel: sensor never").level, level::ERROR);
        let frozen = by_name("kestrel: sensor frozen");
        assert_eq!(frozen.level, level::ERROR);
        assert!(frozen.message.contains("frozen"), "{}", frozen.message);
        let dup = by_name("kestrel: sensor dup");
        assert_eq!(dup.level, level::WARN);
        assert!(
            dup.message.contains("1 messages refused"),
            "{}",
            dup.message
        );
        let radar = by_name("kestrel: sensor radar");
        assert_eq!(radar.level, level::WARN);
        assert_eq!(radar.hardware_id, "radar");
        assert!(
            radar
                .values
                .iter()
                .any(|v| v.key == "queue_dropped" && v.value == "2")
        );
        let lidar = by_name("kestrel: sensor lidar");
        assert!(
            lidar
                .values
                .iter()
                .any(|v| v.key == "rate_hz" && v.value == "10.000")
        );
        let output = by_name("kestrel: output");
        assert_eq!(
            output.level,
            level::WARN,
            "missing/stale sensors degrade it"
        );
        assert_eq!(d.header.stamp.to_timestamp(), Timestamp(10 * S + S / 2));
        // The message survives its own wire format.
        let cdr = d.to_cdr().unwrap();
        assert_eq!(DiagnosticArray::from_cdr(&cdr).unwrap(), d);
    }
}
