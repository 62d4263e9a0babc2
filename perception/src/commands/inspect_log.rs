//! `kestrel inspect <log.mcap>`: what an MCAP log holds, like `ros2 bag info` / `mcap info`:
//! per topic its type, message count, first/last log time and rate, plus the log's duration,
//! profile and compression ([`kestrel_log::mcap_info`]). `--json` prints one JSON object.

pub use kestrel_log::mcap_info::is_mcap;
use kestrel_log::mcap_info::{InfoSource, LogInfo};
use kestrel_sensors::Timestamp;
use serde_json::{Value, json};
use std::path::Path;

/// The log's info as one JSON object (times in ns, rates in Hz).
pub fn to_json(info: &LogInfo) -> Value {
    let topics: Vec<Value> = info
        .topics
        .iter()
        .map(|t| {
            json!({
                "topic": t.topic,
                "type": t.message_type,
                "encoding": t.message_encoding,
                "messages": t.messages,
                "first_ns": t.first_ns,
                "last_ns": t.last_ns,
                "rate_hz": t.rate_hz(),
            })
        })
        .collect();
    let compression: serde_json::Map<String, Value> = info
        .compression
        .iter()
        .map(|(name, c)| {
            let key = if name.is_empty() { "none" } else { name };
            let v = json!({
                "chunks": c.chunks,
                "compressed_bytes": c.compressed_bytes,
                "uncompressed_bytes": c.uncompressed_bytes,
            });
            (key.to_owned(), v)
        })
        .collect();
    json!({
        "path": info.path.display().to_string(),
        "format": "mcap",
        "file_bytes": info.file_bytes,
        "profile": info.profile,
        "library": info.library,
        "messages": info.messages,
        "start_ns": info.start_ns,
        "end_ns": info.end_ns,
        "duration_s": info.duration_s(),
        "compression": compression,
        "metadata": info.metadata,
        "from": match &info.source {
            InfoSource::Indexes => "indexes".to_owned(),
            InfoSource::Scan { reason } => format!("scan ({reason})"),
        },
        "damage": info.damage,
        "topics": topics,
    })
}

fn time(ns: Option<u64>) -> String {
    ns.map_or("-".to_owned(), |t| Timestamp(t).to_string())
}

/// The log's info as `ros2 bag info`-style text.
pub fn to_text(info: &LogInfo) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line(format!("Files:        {}", info.path.display()));
    line(format!("Bag size:     {} B", info.file_bytes));
    line(format!(
        "Profile:      {} (written by {})",
        info.profile, info.library
    ));
    line(format!("Duration:     {:.3} s", info.duration_s()));
    line(format!("Start:        {}", time(info.start_ns)));
    line(format!("End:          {}", time(info.end_ns)));
    line(format!("Messages:     {}", info.messages));
    let compression = if info.compression.is_empty() {
        "unknown (no usable summary)".to_owned()
    } else {
        info.compression
            .iter()
            .map(|(name, c)| {
                format!(
                    "{} ({} chunks, {} -> {} B)",
                    if name.is_empty() { "none" } else { name },
                    c.chunks,
                    c.uncompressed_bytes,
                    c.compressed_bytes
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    line(format!("Compression:  {compression}"));
    if !info.metadata.is_empty() {
        line(format!("Metadata:     {}", info.metadata.join(", ")));
    }
    if let InfoSource::Scan { reason } = &info.source {
        line(format!("Read:         every message ({reason})"));
    }
    if let Some(d) = &info.damage {
        line(format!(
            "Damage:       {d} (numbers cover the messages before it)"
        ));
    }
    line("Topics:".to_owned());
    for t in &info.topics {
        line(format!(
            "  {:<44} {:<44} {:>7} msgs  {:>8.3} Hz  first {}  last {}",
            t.topic,
            t.message_type,
            t.messages,
            t.rate_hz(),
            time(t.first_ns),
            time(t.last_ns)
        ));
    }
    s
}

/// Prints the info of the MCAP log at `path`.
pub fn run(path: &Path, json: bool) -> Result<(), Box<dyn std::error::Error>> {
    let info = LogInfo::read(path)?;
    if json {
        println!("{}", serde_json::to_string(&to_json(&info))?);
    } else {
        print!("{}", to_text(&info));
    }
    Ok(())
}
