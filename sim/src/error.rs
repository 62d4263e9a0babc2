//! The error type of the simulator crate.

use kestrel_sensors::SensorError;
use std::path::PathBuf;

/// Everything that can go wrong loading a scenario, building a world or writing outputs.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A scenario's TOML text does not parse.
    #[error("scenario `{scenario}`: TOML error: {message}")]
    ScenarioToml {
        /// Scenario name (library name or file path).
        scenario: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A scenario parses but makes no sense (negative duration, unknown lane, ...).
    #[error("scenario `{scenario}`: {reason}")]
    InvalidScenario {
        /// Scenario name.
        scenario: String,
        /// What is wrong.
        reason: String,
    },
    /// No canonical scenario has this name.
    #[error("no canonical scenario called `{0}` (see kestrel_sim::scenario_library::list())")]
    UnknownScenario(String),
    /// A built-in asset (image patch) cannot be decoded.
    #[error("asset `{name}`: {reason}")]
    Asset {
        /// Asset file name.
        name: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// Building a sensor message failed.
    #[error("sensor model: {0}")]
    Sensor(#[from] SensorError),
    /// Drawing or encoding a plot failed.
    #[error("plot: {0}")]
    Plot(String),
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
