//! `--faults` and `--fault-seed`, shared by `kestrel replay` and `kestrel play`, and the lines
//! both print about what was injected.

use kestrel_perception::fault_injection::FaultPlan;

/// Fault-injection flags.
#[derive(clap::Args, Clone, Debug)]
pub struct FaultFlags {
    /// Inject faults (sensor dropout, delay, duplicates, reordering, timestamp jumps,
    /// non-finite points, corrupt pixels, truncated or bit-flipped messages, a frozen sensor,
    /// a partial LiDAR): a TOML plan file or an inline spec such as
    /// `"dropout sensor=lidar_top from_s=0.5 for_s=1; duplicate probability=0.2"` (see
    /// `kestrel_perception::fault_injection`). Deterministic: same plan and seed, same result.
    /// `play` applies the plan to every pass and also accepts topics as sensor names.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Seed of the fault plan's random choices (overrides the plan file's `seed`).
    #[arg(long, value_name = "N", requires = "faults")]
    pub fault_seed: Option<u64>,
}

impl FaultFlags {
    /// The plan the flags give, if any.
    pub fn plan(&self) -> Result<Option<FaultPlan>, Box<dyn std::error::Error>> {
        let Some(spec) = &self.faults else {
            return Ok(None);
        };
        let mut plan = FaultPlan::parse(spec)?;
        if let Some(seed) = self.fault_seed {
            plan.seed = seed;
        }
        Ok(Some(plan))
    }
}

/// Prints how many messages each fault of `plan` hit.
pub fn print_hits(plan: &FaultPlan, hits: &[u64]) {
    println!("faults injected (seed {}):", plan.seed);
    for (fault, hits) in plan.faults.iter().zip(hits) {
        println!("  {:<48} {hits} messages", fault.describe());
    }
}
