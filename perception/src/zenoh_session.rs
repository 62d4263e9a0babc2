//! The zenoh session of the runtime: by default an embedded peer that listens on a loopback TCP
//! endpoint with multicast scouting off, so it runs with no network; `connect` endpoints reach
//! a zenoh router (rmw_zenoh's `rmw_zenohd`, `tcp/127.0.0.1:7447`) or other peers.
//!
//! On a vehicle network the session can be authenticated: [`TlsSettings`] (`[zenoh.tls]`) turn
//! every link into TLS 1.3 with mutual authentication (both ends present a certificate signed
//! by the vehicle's CA), and [`AccessSettings`] (`[zenoh.access]`) give roles to the peers by
//! their certificate's common name (see [`crate::access_control`]).

use crate::access_control::AccessSettings;
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
    /// TLS with mutual authentication (`[zenoh.tls]`); absent: plain TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSettings>,
    /// Roles of the authenticated peers (`[zenoh.access]`); absent: no access control. Needs
    /// `tls`, whose certificates name the peers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessSettings>,
}

/// TLS settings of a session (`[zenoh.tls]`): PEM files of the vehicle's certificate authority
/// and of this peer's certificate and private key. The same certificate serves when this peer
/// listens and when it connects, so it must allow both server and client authentication and
/// name the addresses other peers dial (e.g. `IP:127.0.0.1`); `perception/tls/make-certs.sh`
/// makes such a set. Relative paths are relative to the working directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The CA certificate every peer's certificate must be signed by.
    pub root_ca_certificate: String,
    /// This peer's certificate (its common name is its identity for `[zenoh.access]`).
    pub certificate: String,
    /// This peer's private key (PKCS#8, RSA or SEC1 PEM).
    pub private_key: String,
}

impl TlsSettings {
    /// Checks that the three files exist and hold PEM data, naming the one that does not.
    fn check_files(&self) -> Result<(), PerceptionError> {
        for (what, path, marker) in [
            (
                "root_ca_certificate",
                &self.root_ca_certificate,
                "-----BEGIN CERTIFICATE-----",
            ),
            (
                "certificate",
                &self.certificate,
                "-----BEGIN CERTIFICATE-----",
            ),
            ("private_key", &self.private_key, "PRIVATE KEY-----"),
        ] {
            let text = std::fs::read_to_string(path)
                .map_err(|e| PerceptionError::Config(format!("zenoh.tls.{what} `{path}`: {e}")))?;
            if !text.contains(marker) {
                return Err(PerceptionError::Config(format!(
                    "zenoh.tls.{what} `{path}`: not a PEM file (no `{marker}`)"
                )));
            }
        }
        Ok(())
    }
}

impl Default for ZenohSettings {
    fn default() -> Self {
        Self {
            mode: "peer".into(),
            listen: vec![DEFAULT_ENDPOINT.into()],
            connect: Vec::new(),
            multicast_scouting: false,
            tls: None,
            access: None,
        }
    }
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
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
        // With TLS, a plain TCP endpoint would be a side door around the authentication.
        let scheme = if self.tls.is_some() { "tls/" } else { "tcp/" };
        for e in self.listen.iter().chain(&self.connect) {
            if !e.starts_with(scheme) {
                return Err(PerceptionError::Config(format!(
                    "zenoh endpoint `{e}`: {}",
                    if self.tls.is_some() {
                        "with [zenoh.tls] every endpoint must be tls/<host>:<port>"
                    } else {
                        "only tcp/<host>:<port> endpoints (tls/ with [zenoh.tls]) are built in"
                    }
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
        if let Some(tls) = &self.tls {
            tls.check_files()?;
            let link = "transport/link/tls";
            for (key, path) in [
                ("root_ca_certificate", &tls.root_ca_certificate),
                ("listen_certificate", &tls.certificate),
                ("listen_private_key", &tls.private_key),
                ("connect_certificate", &tls.certificate),
                ("connect_private_key", &tls.private_key),
            ] {
                set(&mut c, &format!("{link}/{key}"), json_string(path))?;
            }
            set(&mut c, &format!("{link}/enable_mtls"), "true".into())?;
        }
        match (&self.access, &self.tls) {
            (Some(_), None) => {
                return Err(PerceptionError::Config(
                    "zenoh.access needs zenoh.tls: peers are named by their certificates".into(),
                ));
            }
            (Some(access), Some(_)) => set(&mut c, "access_control", access.to_json()?)?,
            (None, _) => {}
        }
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

    #[test]
    fn tls_settings_are_checked_before_zenoh_sees_them() {
        let missing = TlsSettings {
            root_ca_certificate: "/nonexistent/ca.pem".into(),
            certificate: "/nonexistent/kestrel.pem".into(),
            private_key: "/nonexistent/kestrel.key".into(),
        };
        let tls = ZenohSettings {
            listen: vec!["tls/127.0.0.1:7450".into()],
            tls: Some(missing.clone()),
            ..ZenohSettings::default()
        };
        let e = tls.to_config().unwrap_err().to_string();
        assert!(
            e.contains("zenoh.tls.root_ca_certificate `/nonexistent/ca.pem`"),
            "{e}"
        );
        // A plain TCP endpoint beside TLS is a side door; a TLS endpoint without certificates
        // cannot authenticate.
        let side_door = ZenohSettings {
            listen: vec!["tcp/127.0.0.1:7450".into()],
            tls: Some(missing),
            ..ZenohSettings::default()
        };
        let e = side_door.to_config().unwrap_err().to_string();
        assert!(e.contains("every endpoint must be tls/"), "{e}");
        let no_certs = ZenohSettings {
            listen: vec!["tls/127.0.0.1:7450".into()],
            ..ZenohSettings::default()
        };
        assert!(
            no_certs
                .to_config()
                .unwrap_err()
                .to_string()
                .contains("tls/ with [zenoh.tls]")
        );
        // Access control names peers by their certificates.
        let access = ZenohSettings {
            access: Some(AccessSettings {
                input_publishers: vec!["sensor-gateway".into()],
                output_subscribers: vec![],
            }),
            ..ZenohSettings::default()
        };
        assert!(
            access
                .to_config()
                .unwrap_err()
                .to_string()
                .contains("needs zenoh.tls")
        );
    }

    #[test]
    fn a_file_that_is_not_pem_is_named() {
        let dir = std::env::temp_dir().join(format!("kestrel-tls-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let junk = junk.to_str().unwrap().to_owned();
        let tls = TlsSettings {
            root_ca_certificate: junk.clone(),
            certificate: junk.clone(),
            private_key: junk.clone(),
        };
        let e = tls.check_files().unwrap_err().to_string();
        assert!(
            e.contains("root_ca_certificate") && e.contains("not a PEM file"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
