//! ROS 2 quality of service as rmw_zenoh carries it: the policies Kestrel's publishers
//! announce, their encoding in liveliness tokens (`qos_to_keyexpr` of
//! `rmw_zenoh_cpp/src/detail/liveliness_utils.cpp`) and the congestion control rmw_zenoh
//! derives from them (`rmw_publisher_data.cpp`).

/// Reliability QoS policy (values of `rmw_qos_reliability_policy_e`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reliability {
    /// `RMW_QOS_POLICY_RELIABILITY_RELIABLE` (1), rmw_zenoh's default.
    Reliable = 1,
    /// `RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT` (2).
    BestEffort = 2,
}

/// Durability QoS policy (values of `rmw_qos_durability_policy_e`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// `RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL` (1).
    TransientLocal = 1,
    /// `RMW_QOS_POLICY_DURABILITY_VOLATILE` (2), rmw_zenoh's default.
    Volatile = 2,
}

/// History QoS policy (values of `rmw_qos_history_policy_e`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum History {
    /// `RMW_QOS_POLICY_HISTORY_KEEP_LAST` (1), rmw_zenoh's default: a publisher whose link is
    /// congested drops the sample rather than fall behind.
    KeepLast = 1,
    /// `RMW_QOS_POLICY_HISTORY_KEEP_ALL` (2): with reliable delivery, a congested link makes
    /// the publisher wait, so every sample reaches every matched subscriber.
    KeepAll = 2,
}

/// The QoS a publisher announces. Deadline, lifespan and liveliness are rmw_zenoh's defaults
/// (infinite / automatic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RosQos {
    /// Reliability.
    pub reliability: Reliability,
    /// Durability.
    pub durability: Durability,
    /// History.
    pub history: History,
    /// History depth (KEEP_LAST).
    pub depth: u32,
}

impl Default for RosQos {
    /// What Autoware perception publishers use: reliable, volatile, keep last 1.
    fn default() -> Self {
        Self {
            reliability: Reliability::Reliable,
            durability: Durability::Volatile,
            history: History::KeepLast,
            depth: 1,
        }
    }
}

impl RosQos {
    /// rmw_zenoh's `qos_to_keyexpr`: each value is written only when it differs from the
    /// rmw_zenoh default (reliable, volatile, keep-last 42, infinite durations, automatic
    /// liveliness), e.g. `::,1:,:,:,,` for reliable / volatile / keep-last 1.
    pub fn key_expr(&self) -> String {
        let reliability = match self.reliability {
            Reliability::Reliable => String::new(),
            r => (r as u8).to_string(),
        };
        let durability = match self.durability {
            Durability::Volatile => String::new(),
            d => (d as u8).to_string(),
        };
        let history = match self.history {
            History::KeepLast => String::new(),
            h => (h as u8).to_string(),
        };
        let depth = if self.depth == 42 {
            String::new()
        } else {
            self.depth.to_string()
        };
        // history "," depth ":" deadline ":" lifespan ":" liveliness
        format!("{reliability}:{durability}:{history},{depth}:,:,:,,")
    }

    /// What a publisher does when its link is congested, as rmw_zenoh decides it: reliable
    /// KEEP_ALL publishers wait, every other one drops the sample.
    pub fn congestion_control(&self) -> zenoh::qos::CongestionControl {
        match (self.reliability, self.history) {
            (Reliability::Reliable, History::KeepAll) => zenoh::qos::CongestionControl::Block,
            _ => zenoh::qos::CongestionControl::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_key_expr_matches_rmw_zenoh() {
        // rmw_zenoh's own default renders as all-empty fields.
        let default = RosQos {
            reliability: Reliability::Reliable,
            durability: Durability::Volatile,
            history: History::KeepLast,
            depth: 42,
        };
        assert_eq!(default.key_expr(), "::,:,:,:,,");
        assert_eq!(RosQos::default().key_expr(), "::,1:,:,:,,");
        let latched = RosQos {
            reliability: Reliability::BestEffort,
            durability: Durability::TransientLocal,
            history: History::KeepLast,
            depth: 5,
        };
        assert_eq!(latched.key_expr(), "2:1:,5:,:,:,,");
        let keep_all = RosQos {
            history: History::KeepAll,
            ..RosQos::default()
        };
        assert_eq!(keep_all.key_expr(), "::2,1:,:,:,,");
    }

    #[test]
    fn only_reliable_keep_all_publishers_wait_on_a_congested_link() {
        use zenoh::qos::CongestionControl::{Block, Drop};
        let keep_all = RosQos {
            history: History::KeepAll,
            ..RosQos::default()
        };
        assert_eq!(keep_all.congestion_control(), Block);
        assert_eq!(RosQos::default().congestion_control(), Drop);
        let best_effort = RosQos {
            reliability: Reliability::BestEffort,
            ..keep_all
        };
        assert_eq!(best_effort.congestion_control(), Drop);
    }
}
