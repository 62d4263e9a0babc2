//! The zenoh session of the runtime: by default an embedded peer that listens on a loopback TCP
//! endpoint with multicast scouting off, so it runs with no network; `connect` endpoints reach
//! a zenoh router (rmw_zenoh's `rmw_zenohd`, `tcp/127.0.0.1:7447`) or other peers.

use crate::error::PerceptionError;
use serde::{Deserialize, Serialize};
use zenoh::Wait;

/// The loopback endpoint `kestrel run` listens on and `kestrel echo` connects to by default.
pub const DEFAULT_ENDPOINT: &str = "tcp/127.0.0.1:7450";

/// zenoh session settings (the `[zenoh]` table of the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZenohSettings {
    /// `peer` (default) or `client` (needs a router in `connect`).
    pub mode: String,
    /// Endpoints to listen on, e.g. `tcp/127.0.0.1:7450` (`tcp/127.0.0.1:0`: any free port).
    pub listen: Vec<String>,
    /// Endpoints to connect to, e.g. `tcp/127.0.0.1:7447` (an rmw_zenoh router).
    pub connect: Vec<String>,
    /// Multicast scouting (UDP discovery on the LAN); off by default.
    pub multicast_scouting: bool,
}

impl Default for ZenohSettings {
    fn default() -> Self {
        Self {
            mode: "peer".into(),
            listen: vec![DEFAULT_ENDPOINT.into()],
            connect: Vec::new(),
            multicast_scouting: false,
        }
    }
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

impl ZenohSettings {
    /// The zenoh configuration of these settings.
    pub fn to_config(&self) -> Result<zenoh::Config, PerceptionError> {
        if !matches!(self.mode.as_str(), "peer" | "client") {
            return Err(PerceptionError::Config(format!(
                "zenoh mode `{}` must be `peer` or `client`",
                self.mode
            )));
        }
        if self.mode == "client" && self.connect.is_empty() {
            return Err(PerceptionError::Config(
                "zenoh client mode needs at least one `connect` endpoint".into(),
            ));
        }
        for e in self.listen.iter().chain(&self.connect) {
            if !e.starts_with("tcp/") {
                return Err(PerceptionError::Config(format!(
                    "zenoh endpoint `{e}`: only tcp/<host>:<port> endpoints are built in"
                )));
            }
        }
        let mut c = zenoh::Config::default();
        let set = |c: &mut zenoh::Config, key: &str, value: String| {
            c.insert_json5(key, &value)
                .map_err(|e| PerceptionError::Config(format!("zenoh `{key}` = {value}: {e}")))
        };
        set(&mut c, "mode", format!("\"{}\"", self.mode))?;
        set(
            &mut c,
            "scouting/multicast/enabled",
            self.multicast_scouting.to_string(),
        )?;
        set(&mut c, "listen/endpoints", json_list(&self.listen))?;
        set(&mut c, "connect/endpoints", json_list(&self.connect))?;
        Ok(c)
    }

    /// Opens a session with these settings.
    pub fn open(&self) -> Result<zenoh::Session, PerceptionError> {
        zenoh::open(self.to_config()?)
            .wait()
            .map_err(PerceptionError::zenoh("open session"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_rejected() {
        let udp = ZenohSettings {
            listen: vec!["udp/127.0.0.1:7450".into()],
            ..ZenohSettings::default()
        };
        assert!(udp.to_config().unwrap_err().to_string().contains("udp/"));
        let client = ZenohSettings {
            mode: "client".into(),
            ..ZenohSettings::default()
        };
        assert!(client.to_config().is_err());
        let router = ZenohSettings {
            mode: "router".into(),
            ..ZenohSettings::default()
        };
        assert!(router.to_config().is_err());
        assert!(ZenohSettings::default().to_config().is_ok());
    }
}
