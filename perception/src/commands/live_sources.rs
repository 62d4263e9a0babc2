//! The live inputs of `kestrel run --input ros|ouster`: ROS 2 topics over zenoh
//! ([`kestrel_perception::ros_input`]) and an Ouster UDP stream
//! ([`kestrel_perception::ouster_input`]), with the rig they are fused with. Two phases: the
//! rig first (so the stage and outputs are ready), the subscriptions last (so no message
//! arrives before the run takes it).

use kestrel_perception::config::KestrelConfig;
use kestrel_perception::live_input::LiveControl;
use kestrel_perception::ouster_input::open_ouster;
use kestrel_perception::ros_input::{RosInput, fetch_rig, load_rig};
use kestrel_perception::sensor_source::SensorSource;
use kestrel_sensors::{Rig, SensorKind, SensorSpec};
use nalgebra::Isometry3;
use std::path::Path;
use std::time::Duration;

/// Which inputs `kestrel run` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKind {
    /// A recorded log or dataset folder (the positional INPUT, default the shipped one).
    Log,
    /// ROS 2 sensor topics over zenoh (rmw_zenoh key expressions).
    Ros,
    /// An Ouster LiDAR's UDP lidar stream (`[inputs.ouster]` / `--ouster-*`).
    Ouster,
}

/// Live sources and what must stay alive while they run.
pub struct LiveSources {
    /// The sources (unpaced).
    pub sources: Vec<SensorSource>,
    /// Human description of the inputs.
    pub description: Vec<String>,
    /// The ROS input (its node's liveliness token).
    pub _ros: Option<RosInput>,
}

/// A rig with only the Ouster LiDAR `sensor`, its sensor frame taken as the vehicle frame.
fn ouster_only_rig(sensor: &str) -> Rig {
    Rig {
        name: "ouster".into(),
        sensors: vec![SensorSpec {
            name: sensor.to_owned(),
            kind: SensorKind::Lidar { beams: None },
            topic: None,
            rate_hz: None,
            sync_offset_s: 0.0,
            extrinsics: Isometry3::identity(),
        }],
    }
}

/// The rig of the live inputs `kinds`: `rig` (or `[inputs] rig`), else the one `kestrel
/// play` offers (ROS input), else the Ouster alone; camera intrinsics completed from
/// `CameraInfo` where unset.
pub fn rig(
    kinds: &[InputKind],
    config: &KestrelConfig,
    session: &zenoh::Session,
    rig: Option<&Path>,
) -> Result<Rig, Box<dyn std::error::Error>> {
    let rig_path = rig
        .map(Path::to_owned)
        .or_else(|| (!config.inputs.rig.is_empty()).then(|| config.inputs.rig.clone().into()));
    let mut rig = rig_path.as_deref().map(load_rig).transpose()?;
    if kinds.contains(&InputKind::Ros) {
        let r = match rig.take() {
            Some(r) => r,
            None => {
                eprintln!("kestrel run: waiting for the rig on kestrel/rig (kestrel play)...");
                fetch_rig(
                    session,
                    Duration::from_secs_f64(config.inputs.rig_wait_s.max(0.0)),
                )?
            }
        };
        rig = Some(RosInput::complete_rig(
            session,
            config.ros.domain_id,
            &config.inputs,
            r,
        )?);
    }
    if kinds.contains(&InputKind::Ouster) {
        let o = &config.inputs.ouster;
        let r = rig.get_or_insert_with(|| ouster_only_rig(&o.sensor));
        if r.sensor(&o.sensor).is_none() {
            return Err(format!(
                "the rig `{}` has no sensor `{}` for the Ouster stream ([inputs.ouster] sensor)",
                r.name, o.sensor
            )
            .into());
        }
    }
    Ok(rig.ok_or("no live input selected")?)
}

/// Opens the live inputs `kinds` (no `Log`) on `session` per `config`, for `rig` (from
/// [`rig`]).
pub fn open(
    kinds: &[InputKind],
    config: &KestrelConfig,
    session: &zenoh::Session,
    rig: &Rig,
    control: LiveControl,
) -> Result<LiveSources, Box<dyn std::error::Error>> {
    let mut sources = Vec::new();
    let mut description = Vec::new();
    let mut ros = None;
    if kinds.contains(&InputKind::Ros) {
        let mut input = RosInput::open(
            session,
            config.ros.domain_id,
            &config.ros.node_name,
            &config.inputs,
            rig.clone(),
            control.clone(),
        )?;
        for (topic, ty) in &input.topics {
            description.push(format!("ros {topic} [{ty}]"));
        }
        sources.append(&mut input.sources);
        ros = Some(input);
    }
    if kinds.contains(&InputKind::Ouster) {
        let o = &config.inputs.ouster;
        sources.push(open_ouster(o, control)?);
        description.push(format!("ouster udp {} -> sensor `{}`", o.bind, o.sensor));
    }
    Ok(LiveSources {
        sources,
        description,
        _ros: ros,
    })
}
