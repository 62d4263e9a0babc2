//! Who may do what on Kestrel's zenoh session: roles for the peers of an authenticated vehicle
//! network (`[zenoh.access]`), turned into zenoh's access control rules.
//!
//! Peers are named by the common name (CN) of the certificate they authenticated with over
//! mutual TLS ([`crate::zenoh_session::TlsSettings`]); a peer named in no role may do nothing
//! with Kestrel (zenoh's `default_permission` is `deny`). The roles are per peer, across the
//! key space Kestrel uses:
//!
//! - **input publishers** (sensor drivers, `kestrel play`, a ROS 2 router bridging them) may
//!   publish to Kestrel (`put`/`delete` in), are told what Kestrel subscribes to, and may offer
//!   the rig on [`RIG_KEY`];
//! - **output subscribers** (planning nodes, `kestrel echo`) may subscribe to what Kestrel
//!   publishes and receive it;
//! - both may exchange the ROS 2 graph's liveliness tokens (`@ros2_lv/**`), so that ROS 2
//!   tooling on an authorised peer discovers Kestrel's node.
//!
//! A peer in both roles (a router that bridges sensors in and objects out) gets both. What an
//! input publisher may not do is subscribe to Kestrel's outputs, and an output subscriber may not
//! feed Kestrel's inputs.

use crate::error::PerceptionError;
use crate::rmw_zenoh::ADMIN_SPACE;
use crate::ros_input::RIG_KEY;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Roles of the authenticated peers, by certificate common name (`[zenoh.access]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    /// Common names of the peers that may publish Kestrel's inputs.
    #[serde(default)]
    pub input_publishers: Vec<String>,
    /// Common names of the peers that may subscribe to Kestrel's outputs.
    #[serde(default)]
    pub output_subscribers: Vec<String>,
}

/// One allow rule: messages, their direction as seen from Kestrel, and key expressions.
struct Rule {
    id: &'static str,
    flows: &'static [&'static str],
    messages: &'static [&'static str],
    key_exprs: Vec<String>,
}

impl Rule {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "permission": "allow",
            "flows": self.flows,
            "messages": self.messages,
            "key_exprs": self.key_exprs,
        })
    }
}

impl AccessSettings {
    /// The rules of the input publishers' role.
    fn input_rules() -> Vec<Rule> {
        vec![
            Rule {
                id: "inputs_in",
                flows: &["ingress"],
                messages: &["put", "delete"],
                key_exprs: vec!["**".into()],
            },
            Rule {
                id: "inputs_interest",
                flows: &["egress"],
                messages: &["declare_subscriber"],
                key_exprs: vec!["**".into()],
            },
            Rule {
                id: "rig_offer",
                flows: &["ingress"],
                messages: &["declare_queryable", "reply"],
                key_exprs: vec![RIG_KEY.into()],
            },
            Rule {
                id: "rig_query",
                flows: &["egress"],
                messages: &["query"],
                key_exprs: vec![RIG_KEY.into()],
            },
        ]
    }

    /// The rules of the output subscribers' role.
    fn output_rules() -> Vec<Rule> {
        vec![
            Rule {
                id: "outputs_interest",
                flows: &["ingress"],
                messages: &["declare_subscriber"],
                key_exprs: vec!["**".into()],
            },
            Rule {
                id: "outputs_out",
                flows: &["egress"],
                messages: &["put", "delete"],
                key_exprs: vec!["**".into()],
            },
        ]
    }

    /// The ROS 2 graph rule both roles have.
    fn graph_rule() -> Rule {
        Rule {
            id: "ros_graph",
            flows: &["ingress", "egress"],
            messages: &[
                "liveliness_token",
                "declare_liveliness_subscriber",
                "liveliness_query",
                "reply",
            ],
            key_exprs: vec![format!("{ADMIN_SPACE}/**")],
        }
    }

    /// zenoh's `access_control` configuration of these roles (JSON).
    pub fn to_json(&self) -> Result<String, PerceptionError> {
        for name in self.input_publishers.iter().chain(&self.output_subscribers) {
            if name.trim().is_empty() {
                return Err(PerceptionError::Config(
                    "zenoh.access: an empty certificate common name".into(),
                ));
            }
        }
        if self.input_publishers.is_empty() && self.output_subscribers.is_empty() {
            return Err(PerceptionError::Config(
                "zenoh.access names no peer: list input_publishers and/or output_subscribers \
                 (or leave [zenoh.access] out for no access control)"
                    .into(),
            ));
        }
        let mut rules = Vec::new();
        let mut subjects = Vec::new();
        let mut policies = Vec::new();
        let roles = [
            (
                "input_publishers",
                &self.input_publishers,
                Self::input_rules(),
            ),
            (
                "output_subscribers",
                &self.output_subscribers,
                Self::output_rules(),
            ),
        ];
        for (role, names, role_rules) in roles {
            if names.is_empty() {
                continue;
            }
            subjects.push(json!({ "id": role, "cert_common_names": names }));
            let mut ids: Vec<&str> = role_rules.iter().map(|r| r.id).collect();
            ids.push(Self::graph_rule().id);
            policies.push(json!({ "id": role, "rules": ids, "subjects": [role] }));
            rules.extend(role_rules.iter().map(Rule::to_json));
        }
        rules.push(Self::graph_rule().to_json());
        Ok(json!({
            "enabled": true,
            "default_permission": "deny",
            "rules": rules,
            "subjects": subjects,
            "policies": policies,
        })
        .to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_become_allow_rules_over_a_deny_default() {
        let access = AccessSettings {
            input_publishers: vec!["sensor-gateway".into()],
            output_subscribers: vec!["planner".into()],
        };
        let v: Value = serde_json::from_str(&access.to_json().unwrap()).unwrap();
        assert_eq!(v["default_permission"], "deny");
        assert_eq!(v["subjects"][0]["cert_common_names"][0], "sensor-gateway");
        assert_eq!(v["subjects"][1]["cert_common_names"][0], "planner");
        let inputs = v["policies"][0]["rules"].as_array().unwrap();
        assert!(inputs.contains(&json!("inputs_in")) && !inputs.contains(&json!("outputs_out")));
        let outputs = v["policies"][1]["rules"].as_array().unwrap();
        assert!(outputs.contains(&json!("outputs_out")) && !outputs.contains(&json!("inputs_in")));
        // The graph rule is listed once, whatever the number of roles.
        let rules = v["rules"].as_array().unwrap();
        assert_eq!(rules.iter().filter(|r| r["id"] == "ros_graph").count(), 1);
    }

    #[test]
    fn a_role_without_peers_is_left_out_and_no_peer_at_all_is_an_error() {
        let only_planner = AccessSettings {
            input_publishers: vec![],
            output_subscribers: vec!["planner".into()],
        };
        let v: Value = serde_json::from_str(&only_planner.to_json().unwrap()).unwrap();
        assert_eq!(v["subjects"].as_array().unwrap().len(), 1);
        assert!(AccessSettings::default().to_json().is_err());
        let blank = AccessSettings {
            input_publishers: vec![" ".into()],
            output_subscribers: vec![],
        };
        assert!(blank.to_json().is_err());
    }
}
