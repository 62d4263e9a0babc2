//! What to break, where and when: a seeded list of faults, from a TOML file or an inline spec.
//!
//! TOML (`kestrel replay --faults faults.toml`):
//!
//! ```toml
//! seed = 7
//! [[fault]]
//! kind = "dropout"
//! sensor = "lidar_top"   # a sensor name, or "*" for every sensor
//! from_s = 0.5           # seconds after the first message of the input (default 0)
//! for_s = 1.0            # how long (default: until the end)
//! ```
//!
//! Inline, the same keys with the kind first, faults separated by `;`:
//! `--faults "dropout sensor=lidar_top from_s=0.5 for_s=1; duplicate probability=0.3"`.
//!
//! Kinds and their parameters (every other key is an error):
//! - `dropout`: the sensor's messages are lost;
//! - `delay`: each message arrives `delay_s` (+ uniform `[0, jitter_s)`) later than it was
//!   stamped, behind messages stamped after it;
//! - `duplicate`: with `probability` (default 1), a message arrives twice;
//! - `reorder`: with `probability` (default 1), a message arrives after the sensor's next one;
//! - `time_jump`: the sensor's stamps jump by `jump_s` (negative: backwards) while the fault
//!   lasts (a clock step; arrival order is unchanged);
//! - `non_finite`: a `fraction` of LiDAR points (radar detections) get a NaN, +Inf or -Inf
//!   coordinate, in turn;
//! - `corrupt_pixels`: a `fraction` of camera pixels become black or white (Kestrel's camera
//!   frames are 8-bit, which cannot hold a NaN: this is the image's non-finite fault);
//! - `truncate`: with `probability`, the message's wire bytes (its CDR, as a subscriber receives
//!   it) are cut at a random length and then decoded;
//! - `bit_flip`: with `probability`, `flips` random bits (default 8) of the wire bytes flip
//!   before decoding;
//! - `freeze`: the sensor repeats the content of its first message in the window, freshly
//!   stamped (a frozen camera);
//! - `partial_lidar`: a LiDAR returns only a `keep` fraction of its points.
//!
//! Random choices draw from one xoshiro256** generator seeded with `seed` (`--fault-seed`
//! overrides it), so a faulted replay is as deterministic as a clean one.

use crate::error::PerceptionError;
use serde::Deserialize;
use std::path::Path;

/// The kind of a fault with its parameters (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultKind {
    /// Messages lost.
    Dropout,
    /// Messages arrive late by `delay_s` plus up to `jitter_s`.
    Delay {
        /// Fixed delay, seconds.
        delay_s: f64,
        /// Extra uniform delay in `[0, jitter_s)`, seconds.
        jitter_s: f64,
    },
    /// Messages arrive twice.
    Duplicate {
        /// Chance per message.
        probability: f64,
    },
    /// A message arrives after the sensor's next message.
    Reorder {
        /// Chance per message.
        probability: f64,
    },
    /// Stamps shifted by `jump_s` while active.
    TimeJump {
        /// The step, seconds (negative: backwards).
        jump_s: f64,
    },
    /// Non-finite LiDAR points / radar detections.
    NonFinite {
        /// Share of points affected.
        fraction: f64,
    },
    /// Black or white camera pixels.
    CorruptPixels {
        /// Share of pixels affected.
        fraction: f64,
    },
    /// Wire bytes cut short.
    Truncate {
        /// Chance per message.
        probability: f64,
    },
    /// Wire bits flipped.
    BitFlip {
        /// Chance per message.
        probability: f64,
        /// Bits flipped per affected message.
        flips: u32,
    },
    /// Content repeated from the first message of the window.
    Freeze,
    /// Only a share of the LiDAR points returned.
    PartialLidar {
        /// Share of points kept.
        keep: f64,
    },
}

impl FaultKind {
    /// The kind's name as written in a plan.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Dropout => "dropout",
            FaultKind::Delay { .. } => "delay",
            FaultKind::Duplicate { .. } => "duplicate",
            FaultKind::Reorder { .. } => "reorder",
            FaultKind::TimeJump { .. } => "time_jump",
            FaultKind::NonFinite { .. } => "non_finite",
            FaultKind::CorruptPixels { .. } => "corrupt_pixels",
            FaultKind::Truncate { .. } => "truncate",
            FaultKind::BitFlip { .. } => "bit_flip",
            FaultKind::Freeze => "freeze",
            FaultKind::PartialLidar { .. } => "partial_lidar",
        }
    }
}

/// One fault: what, on which sensor, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// The sensor it hits; `None`: every sensor.
    pub sensor: Option<String>,
    /// Start, seconds after the input's first message.
    pub from_s: f64,
    /// Duration, seconds; `None`: until the end.
    pub for_s: Option<f64>,
}

impl Fault {
    /// True when the fault hits a message known by `names` (its sensor, and in play its
    /// topic) at `elapsed_s` after the input's first message.
    pub fn active(&self, names: &[&str], elapsed_s: f64) -> bool {
        self.sensor.as_deref().is_none_or(|s| names.contains(&s))
            && elapsed_s >= self.from_s
            && self.for_s.is_none_or(|d| elapsed_s < self.from_s + d)
    }

    /// One line: kind, sensor, window (`dropout lidar_top 0.5-1.5 s`).
    pub fn describe(&self) -> String {
        let window = match self.for_s {
            Some(d) => format!("{}-{} s", self.from_s, self.from_s + d),
            None => format!("from {} s", self.from_s),
        };
        format!(
            "{} {} {window}",
            self.kind.name(),
            self.sensor.as_deref().unwrap_or("*")
        )
    }
}

/// A seeded list of faults.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    /// Seed of the generator all random choices draw from.
    pub seed: u64,
    /// The faults, applied in this order to each message.
    pub faults: Vec<Fault>,
}

/// One fault as written (every parameter optional; checked against the kind).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultEntry {
    kind: String,
    #[serde(default)]
    sensor: Option<String>,
    #[serde(default)]
    from_s: Option<f64>,
    #[serde(default)]
    for_s: Option<f64>,
    #[serde(default)]
    probability: Option<f64>,
    #[serde(default)]
    delay_s: Option<f64>,
    #[serde(default)]
    jitter_s: Option<f64>,
    #[serde(default)]
    jump_s: Option<f64>,
    #[serde(default)]
    fraction: Option<f64>,
    #[serde(default)]
    keep: Option<f64>,
    #[serde(default)]
    flips: Option<u32>,
}

/// A plan file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    fault: Vec<FaultEntry>,
}

fn bad(message: String) -> PerceptionError {
    PerceptionError::Config(format!("fault plan: {message}"))
}

impl FaultEntry {
    /// The typed fault, or an error naming what is wrong.
    fn check(self) -> Result<Fault, PerceptionError> {
        let name = self.kind.clone();
        let share = |key: &str, v: Option<f64>, default: Option<f64>| {
            let v = v
                .or(default)
                .ok_or_else(|| bad(format!("`{name}` needs `{key}` (a number between 0 and 1)")))?;
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(bad(format!(
                    "`{name}`: `{key}` = {v} is not between 0 and 1"
                )))
            }
        };
        let seconds = |key: &str, v: Option<f64>| match v {
            Some(v) if v.is_finite() => Ok(v),
            Some(v) => Err(bad(format!("`{name}`: `{key}` = {v} is not a number"))),
            None => Err(bad(format!("`{name}` needs `{key}` (seconds)"))),
        };
        let mut used = vec![];
        let kind = match self.kind.as_str() {
            "dropout" => FaultKind::Dropout,
            "delay" => {
                used = vec!["delay_s", "jitter_s"];
                let delay_s = seconds("delay_s", self.delay_s)?;
                let jitter_s = seconds("jitter_s", self.jitter_s.or(Some(0.0)))?;
                if delay_s < 0.0 || jitter_s < 0.0 {
                    return Err(bad(
                        "`delay`: delay_s and jitter_s must be >= 0 (a negative delay is a \
                         `time_jump`)"
                            .into(),
                    ));
                }
                FaultKind::Delay { delay_s, jitter_s }
            }
            "duplicate" => {
                used = vec!["probability"];
                FaultKind::Duplicate {
                    probability: share("probability", self.probability, Some(1.0))?,
                }
            }
            "reorder" => {
                used = vec!["probability"];
                FaultKind::Reorder {
                    probability: share("probability", self.probability, Some(1.0))?,
                }
            }
            "time_jump" => {
                used = vec!["jump_s"];
                FaultKind::TimeJump {
                    jump_s: seconds("jump_s", self.jump_s)?,
                }
            }
            "non_finite" => {
                used = vec!["fraction"];
                FaultKind::NonFinite {
                    fraction: share("fraction", self.fraction, None)?,
                }
            }
            "corrupt_pixels" => {
                used = vec!["fraction"];
                FaultKind::CorruptPixels {
                    fraction: share("fraction", self.fraction, None)?,
                }
            }
            "truncate" => {
                used = vec!["probability"];
                FaultKind::Truncate {
                    probability: share("probability", self.probability, Some(1.0))?,
                }
            }
            "bit_flip" => {
                used = vec!["probability", "flips"];
                FaultKind::BitFlip {
                    probability: share("probability", self.probability, Some(1.0))?,
                    flips: self.flips.unwrap_or(8).max(1),
                }
            }
            "freeze" => FaultKind::Freeze,
            "partial_lidar" => {
                used = vec!["keep"];
                FaultKind::PartialLidar {
                    keep: share("keep", self.keep, None)?,
                }
            }
            other => {
                return Err(bad(format!(
                    "unknown fault `{other}` (expected dropout, delay, duplicate, reorder, \
                     time_jump, non_finite, corrupt_pixels, truncate, bit_flip, freeze or \
                     partial_lidar)"
                )));
            }
        };
        for (key, set) in [
            ("probability", self.probability.is_some()),
            ("delay_s", self.delay_s.is_some()),
            ("jitter_s", self.jitter_s.is_some()),
            ("jump_s", self.jump_s.is_some()),
            ("fraction", self.fraction.is_some()),
            ("keep", self.keep.is_some()),
            ("flips", self.flips.is_some()),
        ] {
            if set && !used.contains(&key) {
                return Err(bad(format!("`{key}` does not apply to `{name}`")));
            }
        }
        let from_s = self.from_s.unwrap_or(0.0);
        if !(from_s.is_finite() && from_s >= 0.0) {
            return Err(bad(format!("`{name}`: from_s = {from_s} must be >= 0")));
        }
        if let Some(d) = self.for_s
            && !(d.is_finite() && d > 0.0)
        {
            return Err(bad(format!("`{name}`: for_s = {d} must be > 0")));
        }
        Ok(Fault {
            kind,
            sensor: self.sensor.filter(|s| s != "*"),
            from_s,
            for_s: self.for_s,
        })
    }
}

impl FaultPlan {
    /// Parses a plan file's TOML text.
    pub fn from_toml(text: &str) -> Result<Self, PerceptionError> {
        let file: PlanFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        Self::checked(file)
    }

    /// Parses an inline spec (see the module docs); its seed is 0.
    pub fn from_inline(spec: &str) -> Result<Self, PerceptionError> {
        let mut faults = toml::value::Array::new();
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let mut table = toml::Table::new();
            let kind = words.next().unwrap_or_default();
            table.insert("kind".into(), kind.into());
            for word in words {
                let (key, value) = word
                    .split_once('=')
                    .ok_or_else(|| bad(format!("`{word}` in `{part}`: expected key=value")))?;
                // Numbers as numbers, anything else (sensor names) as a string.
                let value = match value.parse::<i64>() {
                    Ok(i) => toml::Value::Integer(i),
                    Err(_) => match value.parse::<f64>() {
                        Ok(f) => toml::Value::Float(f),
                        Err(_) => toml::Value::String(value.to_owned()),
                    },
                };
                table.insert(key.to_owned(), value);
            }
            faults.push(toml::Value::Table(table));
        }
        if faults.is_empty() {
            return Err(bad(format!("`{spec}` names no fault")));
        }
        let mut root = toml::Table::new();
        root.insert("fault".into(), toml::Value::Array(faults));
        let file: PlanFile = root.try_into().map_err(|e| bad(e.to_string()))?;
        Self::checked(file)
    }

    /// A plan from `spec`: the path of a TOML plan file when one exists there, else an inline
    /// spec.
    pub fn parse(spec: &str) -> Result<Self, PerceptionError> {
        let path = Path::new(spec);
        if path.is_file() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            Self::from_toml(&text)
        } else if spec.ends_with(".toml") {
            Err(bad(format!("{spec}: no such file")))
        } else {
            Self::from_inline(spec)
        }
    }

    fn checked(file: PlanFile) -> Result<Self, PerceptionError> {
        Ok(Self {
            seed: file.seed,
            faults: file
                .fault
                .into_iter()
                .map(FaultEntry::check)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_toml_give_the_same_plan() {
        let inline = FaultPlan::from_inline(
            "dropout sensor=lidar_top from_s=0.5 for_s=1; bit_flip probability=0.5 flips=3",
        )
        .unwrap();
        let toml = FaultPlan::from_toml(
            "[[fault]]\nkind = \"dropout\"\nsensor = \"lidar_top\"\nfrom_s = 0.5\nfor_s = 1.0\n\
             [[fault]]\nkind = \"bit_flip\"\nsensor = \"*\"\nprobability = 0.5\nflips = 3\n",
        )
        .unwrap();
        assert_eq!(inline, toml);
        assert_eq!(
            inline.faults[0].describe(),
            "dropout lidar_top 0.5-1.5 s",
            "window"
        );
        assert!(inline.faults[1].sensor.is_none());
        assert!(inline.faults[0].active(&["lidar_top"], 0.5));
        assert!(!inline.faults[0].active(&["lidar_top"], 1.5));
        assert!(!inline.faults[0].active(&["cam", "/cam/image"], 1.0));
        assert!(
            inline.faults[0].active(&["lidar", "lidar_top"], 1.0),
            "by topic"
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (spec, needle) in [
            (
                "dropout probability=0.5",
                "`probability` does not apply to `dropout`",
            ),
            ("melt", "unknown fault `melt`"),
            ("non_finite", "needs `fraction`"),
            ("partial_lidar keep=1.5", "not between 0 and 1"),
            ("delay delay_s=-1", "must be >= 0"),
            ("dropout for_s=0", "must be > 0"),
            ("dropout sensor", "expected key=value"),
            ("dropout colour=red", "unknown field `colour`"),
            (" ; ", "names no fault"),
        ] {
            let e = FaultPlan::from_inline(spec).unwrap_err().to_string();
            assert!(e.contains(needle), "{spec}: {e}");
        }
        let e = FaultPlan::parse("missing-plan.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such file"), "{e}");
    }
}
