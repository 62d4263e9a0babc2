//! The runtime configuration: `perception/config/default.toml` is compiled in; a user file
//! overrides any subset of its keys (tables merge key by key). Unknown keys are errors.

use crate::budgets::{Budgets, default_machine_class};
use crate::error::PerceptionError;
use crate::monitors::MonitorSettings;
use crate::pipeline_config::{PipelineConfig, TimeAlignmentTable};
use crate::realtime::QueuePolicies;
use crate::ros_input::InputSettings;
use crate::runtime::RuntimeSettings;
use crate::world_frame::ObjectFrame;
use crate::zenoh_output::RosOutputSettings;
use crate::zenoh_session::ZenohSettings;
use kestrel_fusion::FusionConfig;
use kestrel_fusion::camera::CameraConfig;
use kestrel_fusion::tracking::TrackerConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The built-in defaults.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

/// The `[runtime]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeTable {
    /// Machine class of the budgets, or `auto`.
    pub machine: String,
    /// Budgets file; empty for the built-in copy of `benches/budgets.toml`.
    pub budgets: String,
    /// Health report period, seconds.
    pub health_period_s: f64,
    /// Stale-sensor threshold, seconds.
    pub stale_after_s: f64,
    /// Forward clock jumps larger than this are refused, seconds (see
    /// [`crate::input_order`]).
    pub max_clock_jump_s: f64,
    /// A message this far behind its sensor's previous one is a clock step back, seconds.
    pub clock_step_back_s: f64,
    /// Real-time playback speed of recorded inputs.
    pub playback_speed: f64,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KestrelConfig {
    /// Runtime settings.
    pub runtime: RuntimeTable,
    /// Queue policies per sensor kind.
    pub queues: QueuePolicies,
    /// zenoh session.
    pub zenoh: ZenohSettings,
    /// ROS 2 identity and topics.
    pub ros: RosOutputSettings,
    /// Live input (`kestrel run --input ros|ouster`).
    #[serde(default)]
    pub inputs: InputSettings,
    /// Branch threads, LiDAR, radar and association parameters (`threads = 0` in a file: the
    /// machine class's thread count, `benches/budgets.toml`).
    pub fusion: FusionConfig,
    /// Camera branch: score thresholds, schedule.
    pub camera: CameraConfig,
    /// Tracker.
    pub tracking: TrackerConfig,
    /// Grouping of sensor messages into frame sets.
    pub time_alignment: TimeAlignmentTable,
    /// Model monitors: input drift and the shadow teacher.
    #[serde(default)]
    pub monitor: MonitorSettings,
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// How the configured process takes part in the zenoh network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRole {
    /// Kestrel itself (`run`, `replay`): listens where `[zenoh] listen` says.
    Listening,
    /// A peer that dials Kestrel (`play`, `echo`): `[zenoh] listen` is ignored (it listens
    /// nowhere unless its command line says), so the file of the vehicle's Kestrel, TLS and
    /// its `tls/` endpoints included, serves it as it is.
    Dialing,
}

impl KestrelConfig {
    /// The built-in configuration.
    pub fn builtin() -> Result<Self, PerceptionError> {
        Self::from_toml_str("", "built-in defaults")
    }

    /// The defaults overridden by `text` (TOML); `origin` names the text in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, PerceptionError> {
        Self::from_toml_str_as(text, origin, PeerRole::Listening)
    }

    /// As [`Self::from_toml_str`], for a process of `role`.
    pub fn from_toml_str_as(
        text: &str,
        origin: &str,
        role: PeerRole,
    ) -> Result<Self, PerceptionError> {
        let parse = |t: &str, o: &str| {
            t.parse::<toml::Table>()
                .map_err(|e| PerceptionError::Config(format!("{o}: {e}")))
        };
        // The pipeline tables start from the fusion crate's defaults, so that default.toml
        // and user files may set single keys of them.
        let mut table = toml::Table::try_from(PipelineConfig::default())
            .map_err(|e| PerceptionError::Config(format!("pipeline defaults: {e}")))?;
        merge(
            &mut table,
            parse(DEFAULT_CONFIG, "perception/config/default.toml")?,
        );
        merge(&mut table, parse(text, origin)?);
        if role == PeerRole::Dialing
            && let Some(toml::Value::Table(zenoh)) = table.get_mut("zenoh")
        {
            zenoh.insert("listen".into(), toml::Value::Array(Vec::new()));
        }
        let mut config: Self = toml::Value::Table(table)
            .try_into()
            .map_err(|e| PerceptionError::Config(format!("{origin}: {e}")))?;
        if config.fusion.threads == 0 {
            config.fusion.threads = config.budgets()?.threads(config.machine_class())?;
        }
        config.validate(origin)?;
        Ok(config)
    }

    /// The defaults overridden by the file at `path`.
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        Self::load_as(path, PeerRole::Listening)
    }

    /// As [`Self::load`], for a process of `role`.
    pub fn load_as(path: &Path, role: PeerRole) -> Result<Self, PerceptionError> {
        let text = std::fs::read_to_string(path).map_err(|e| PerceptionError::io(path, e))?;
        Self::from_toml_str_as(&text, &path.display().to_string(), role)
    }

    fn validate(&self, origin: &str) -> Result<(), PerceptionError> {
        let r = &self.runtime;
        for (name, v) in [
            ("runtime.health_period_s", r.health_period_s),
            ("runtime.stale_after_s", r.stale_after_s),
            ("runtime.max_clock_jump_s", r.max_clock_jump_s),
            ("runtime.clock_step_back_s", r.clock_step_back_s),
            ("runtime.playback_speed", r.playback_speed),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(PerceptionError::Config(format!(
                    "{origin}: {name} = {v} must be a positive number"
                )));
            }
        }
        self.monitor.drift.validate()?;
        let shadow = &self.monitor.shadow;
        if !(shadow.period_s.is_finite() && shadow.period_s >= 0.0) || shadow.window == 0 {
            return Err(PerceptionError::Config(format!(
                "{origin}: monitor.shadow: period_s must be >= 0 and window positive"
            )));
        }
        self.zenoh
            .to_config()
            .map_err(|e| PerceptionError::Config(format!("{origin}: {e}")))?;
        self.pipeline()
            .validate()
            .map_err(|e| PerceptionError::Config(format!("{origin}: {e}")))
    }

    /// The pipeline tables (`[fusion]`, `[camera]`, `[tracking]`, `[time_alignment]`).
    pub fn pipeline(&self) -> PipelineConfig {
        PipelineConfig {
            fusion: self.fusion.clone(),
            camera: self.camera.clone(),
            tracking: self.tracking.clone(),
            time_alignment: self.time_alignment.clone(),
        }
    }

    /// The machine class whose budgets apply.
    pub fn machine_class(&self) -> &str {
        match self.runtime.machine.as_str() {
            "auto" => default_machine_class(),
            m => m,
        }
    }

    /// The budgets file `[runtime] budgets` names (the built-in copy when empty).
    pub fn budgets(&self) -> Result<Budgets, PerceptionError> {
        if self.runtime.budgets.is_empty() {
            Budgets::builtin()
        } else {
            Budgets::load(Path::new(&self.runtime.budgets))
        }
    }

    /// Runtime-core settings: budgets of the machine class, health timing, dropped sensors.
    pub fn runtime_settings(
        &self,
        drop_sensors: BTreeSet<String>,
    ) -> Result<RuntimeSettings, PerceptionError> {
        let budgets = self.budgets()?;
        Ok(RuntimeSettings {
            health_period_s: self.runtime.health_period_s,
            stale_after_s: self.runtime.stale_after_s,
            max_clock_jump_s: self.runtime.max_clock_jump_s,
            clock_step_back_s: self.runtime.clock_step_back_s,
            budgets: budgets.for_machine(self.machine_class())?,
            drop_sensors,
            monitors: None,
            object_frame: ObjectFrame::from_frame_id(&self.ros.frame_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounded_queue::QueuePolicy;

    #[test]
    fn a_dialing_peer_ignores_the_files_listen_endpoints() {
        let text = "[zenoh]\nlisten = [\"tcp/192.168.10.20:7450\"]\nconnect = []\n";
        let own = KestrelConfig::from_toml_str_as(text, "t", PeerRole::Listening).unwrap();
        assert_eq!(own.zenoh.listen, ["tcp/192.168.10.20:7450"]);
        let dialing = KestrelConfig::from_toml_str_as(text, "t", PeerRole::Dialing).unwrap();
        assert!(dialing.zenoh.listen.is_empty());
        let builtin = KestrelConfig::from_toml_str_as("", "t", PeerRole::Dialing).unwrap();
        assert!(builtin.zenoh.listen.is_empty());
    }

    #[test]
    fn defaults_load_and_give_runtime_settings() {
        let c = KestrelConfig::builtin().unwrap();
        assert_eq!(c.zenoh.listen, vec!["tcp/127.0.0.1:7450".to_string()]);
        assert!(!c.zenoh.multicast_scouting);
        assert_eq!(c.queues.camera, QueuePolicy::KeepLatest);
        let s = c.runtime_settings(BTreeSet::new()).unwrap();
        assert!(s.budgets.contains_key("fusion"));
        assert_eq!(c.fusion.threads, 2, "the x86-2core class's thread count");
    }

    #[test]
    fn branch_threads_come_from_the_machine_class_unless_set() {
        let arm = KestrelConfig::from_toml_str("[runtime]\nmachine = \"arm-a72\"\n", "u").unwrap();
        assert_eq!(arm.fusion.threads, 4);
        let one = KestrelConfig::from_toml_str("[fusion]\nthreads = 1\n", "u").unwrap();
        assert_eq!(one.fusion.threads, 1);
        let many = KestrelConfig::from_toml_str("[fusion]\nthreads = 65\n", "u");
        assert!(many.unwrap_err().to_string().contains("fusion.threads"));
    }

    #[test]
    fn user_file_overrides_single_keys() {
        let c = KestrelConfig::from_toml_str(
            "[zenoh]\nconnect = [\"tcp/127.0.0.1:7447\"]\n[ros]\ndomain_id = 7\n\
             history = \"keep_all\"\n[queues]\nlidar = { policy = \"drop_oldest\", capacity = 5 }\n",
            "user.toml",
        )
        .unwrap();
        assert_eq!(c.zenoh.connect, vec!["tcp/127.0.0.1:7447".to_string()]);
        assert_eq!(c.zenoh.listen, vec!["tcp/127.0.0.1:7450".to_string()]);
        assert_eq!(c.ros.domain_id, 7);
        assert_eq!(c.ros.node_name, "kestrel_perception");
        assert_eq!(c.ros.history, crate::ros_qos::History::KeepAll);
        assert_eq!(c.queues.lidar, QueuePolicy::DropOldest { capacity: 5 });
    }

    #[test]
    fn pipeline_tables_override_single_keys() {
        let builtin = KestrelConfig::builtin().unwrap();
        let c = KestrelConfig::from_toml_str(
            "[camera.min_score]\npedestrian = 0.2\n[tracking.motion.bicycle]\naccel_std = 4.0\n\
             [time_alignment.offsets_s]\nfront_camera = -0.04\n[camera.schedule]\nper_frame = 6\n\
             [tracking.manoeuvre]\naccel_std = 8.0\n",
            "user.toml",
        )
        .unwrap();
        assert_eq!(c.camera.min_score.pedestrian, 0.2);
        assert_eq!(c.camera.min_score.car, builtin.camera.min_score.car);
        assert_eq!(c.camera.schedule.always, builtin.camera.schedule.always);
        assert_eq!(c.camera.schedule.per_frame, 6);
        assert_eq!(c.tracking.motion.bicycle.accel_std, 4.0);
        assert_eq!(
            c.tracking.motion.bicycle.yaw_accel_std,
            builtin.tracking.motion.bicycle.yaw_accel_std
        );
        assert_eq!(c.tracking.manoeuvre.accel_std, 8.0);
        assert_eq!(
            c.tracking.manoeuvre.end_rate_hz,
            builtin.tracking.manoeuvre.end_rate_hz
        );
        assert_eq!(c.fusion, builtin.fusion);
        assert_eq!(c.time_alignment.offsets_s["front_camera"], -0.04);
        assert_eq!(c.time_alignment.window_s, 0.05);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let unknown = KestrelConfig::from_toml_str("[ros]\ndomian_id = 1\n", "user.toml");
        let e = unknown.unwrap_err().to_string();
        assert!(e.contains("user.toml") && e.contains("domian_id"), "{e}");
        let negative = KestrelConfig::from_toml_str("[runtime]\nhealth_period_s = -1\n", "u");
        assert!(
            negative
                .unwrap_err()
                .to_string()
                .contains("health_period_s")
        );
        let rate = KestrelConfig::from_toml_str("[tracking.manoeuvre]\nonset_rate_hz = 0\n", "u");
        assert!(
            rate.unwrap_err()
                .to_string()
                .contains("manoeuvre.onset_rate_hz")
        );
        let fusion = KestrelConfig::from_toml_str("[fusion.lidar]\nvoxel_szie = 0.1\n", "u");
        assert!(fusion.unwrap_err().to_string().contains("voxel_szie"));
        let class = KestrelConfig::from_toml_str("[camera.min_score]\npedestrian = 2.0\n", "u");
        assert!(class.unwrap_err().to_string().contains("camera.min_score"));
        let machine = KestrelConfig::from_toml_str("[runtime]\nmachine = \"vax\"\n", "u");
        assert!(machine.unwrap_err().to_string().contains("`vax`"));
        let pinned = "[runtime]\nmachine = \"vax\"\n[fusion]\nthreads = 2\n";
        let machine = KestrelConfig::from_toml_str(pinned, "u").unwrap();
        assert!(machine.runtime_settings(BTreeSet::new()).is_err());
        let history = KestrelConfig::from_toml_str("[ros]\nhistory = \"keep_most\"\n", "u");
        assert!(history.unwrap_err().to_string().contains("keep_most"));
        assert!(KestrelConfig::from_toml_str("not toml [", "u").is_err());
    }
}
