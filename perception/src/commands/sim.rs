//! `kestrel sim`: closed-loop simulation of the real stack (production pipeline with the
//! shipped student) on the simulator's canonical scenarios. Prints the verdict and metrics,
//! writes `<out>/<scenario>.mcap` (sensor inputs and the stack's output objects, rosbag2
//! layout, with the simulator's rig) and `<out>/<scenario>_bev.png`.
//!
//! Exit codes: 0 when every verdict is as expected (`--scenario`: the scenario passed), 1 when
//! a scenario failed (`--all`: failed unexpectedly, or passed although declared to fail),
//! 2 for usage and I/O errors.

use kestrel_perception::PerceptionError;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::mcap_recorder::McapRecorder;
use kestrel_perception::sim_stack::{SimRun, SimStack, run_scenario_with_stack};
use kestrel_sim::metrics::{DISTANCE_BANDS, LatencySummary};
use kestrel_sim::scenario::Verdict;
use kestrel_sim::{Scenario, scenario_library};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `kestrel sim`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["scenario", "list", "all"])))]
pub struct Args {
    /// Run one canonical scenario (see `--list`) or a scenario TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub scenario: Option<String>,
    /// List the canonical scenarios with one-line descriptions.
    #[arg(long)]
    pub list: bool,
    /// Run every canonical scenario; fails when a verdict differs from the scenario's
    /// declared expectation (`[expect]` in its TOML).
    #[arg(long)]
    pub all: bool,
    /// Replace the scenario's seed (sensor noise, clutter).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Folder for the MCAP logs and BEV plots (created if missing).
    #[arg(long, value_name = "DIR", default_value = "kestrel_sim_out")]
    pub out: PathBuf,
    /// Camera detector model manifest (default: the shipped student).
    #[arg(long, value_name = "MANIFEST")]
    pub model: Option<PathBuf>,
}

/// BEV plot size, pixels.
const BEV_SIZE: (u32, u32) = (1200, 500);

/// Runs `kestrel sim` and returns its exit code (errors are printed here).
pub fn main(args: Args) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("kestrel sim: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(true)` when every verdict is as expected.
fn run(args: Args) -> Result<bool, Box<dyn std::error::Error>> {
    if args.list {
        for name in scenario_library::list() {
            let sc = scenario_library::load(name)?;
            let expect = match sc.expect.verdict {
                Verdict::Pass => String::new(),
                Verdict::Fail => " [expected to fail]".into(),
            };
            println!("{name:<22} {}{expect}", sc.description);
        }
        return Ok(true);
    }
    let manifest = args
        .model
        .clone()
        .unwrap_or_else(kestrel_models::zoo::default_student_manifest);
    std::fs::create_dir_all(&args.out).map_err(|e| PerceptionError::io(&args.out, e))?;
    let scenarios = match &args.scenario {
        Some(s) => vec![load(s)?],
        None => scenario_library::list()
            .into_iter()
            .map(scenario_library::load)
            .collect::<Result<_, _>>()?,
    };
    let mut table = Vec::new();
    for sc in scenarios {
        let sc = match args.seed {
            Some(seed) => sc.with_seed(seed),
            None => sc,
        };
        let run = run_one(&sc, &manifest, &args.out)?;
        print!("{}", details(&sc, &run));
        let expected = match sc.expect.verdict {
            Verdict::Pass => run.report.passed,
            Verdict::Fail => !run.report.passed,
        };
        table.push((sc, run, expected));
    }
    if args.scenario.is_some() {
        return Ok(table.iter().all(|(_, run, _)| run.report.passed));
    }
    println!("\nsummary");
    for (sc, run, expected) in &table {
        let verdict = if run.report.passed { "PASS" } else { "FAIL" };
        let note = match (sc.expect.verdict, expected) {
            (Verdict::Pass, true) => String::new(),
            (Verdict::Fail, true) => format!(" (expected failure: {})", sc.expect.reason),
            (Verdict::Pass, false) => " UNEXPECTED FAILURE".into(),
            (Verdict::Fail, false) => " UNEXPECTED PASS (declared to fail)".into(),
        };
        println!("  {:<22} {verdict}{note}", sc.name);
    }
    let bad = table.iter().filter(|(_, _, e)| !e).count();
    println!(
        "{} scenarios, {} as expected, {bad} unexpected",
        table.len(),
        table.len() - bad
    );
    Ok(bad == 0)
}

/// A canonical scenario by name, or a scenario TOML file.
fn load(what: &str) -> Result<Scenario, Box<dyn std::error::Error>> {
    let path = Path::new(what);
    if path.extension().is_some_and(|e| e == "toml") {
        return Ok(Scenario::load(path)?);
    }
    Ok(scenario_library::load(what)?)
}

/// Runs one scenario with recording; writes the BEV plot.
fn run_one(
    sc: &Scenario,
    manifest: &Path,
    out: &Path,
) -> Result<SimRun, Box<dyn std::error::Error>> {
    let config = KestrelConfig::builtin()?;
    let mcap = out.join(format!("{}.mcap", sc.name));
    let bev = out.join(format!("{}_bev.png", sc.name));
    let mut stack = SimStack::new(sc, Some(manifest))?;
    let rig = kestrel_sim::sim_rig::sim_rig(sc.sensors.lidar_pattern);
    stack.add_sink(Box::new(McapRecorder::create(
        &mcap,
        Some(&rig),
        &config.ros.tracked_topic,
        &config.ros.detected_topic,
    )?));
    let run = run_scenario_with_stack(sc, stack)?;
    let r = &run.report;
    let title = format!(
        "{} (seed {}), Kestrel stack: {}",
        r.scenario,
        r.seed,
        if r.passed { "PASS" } else { "FAIL" }
    );
    kestrel_sim::bev_plot::write_bev_png(&r.trace, &title, &bev, BEV_SIZE.0, BEV_SIZE.1)?;
    Ok(run)
}

fn ms(l: &Option<LatencySummary>) -> String {
    match l {
        Some(l) => format!(
            "mean {:.1} ms, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} frames)",
            l.mean * 1e3,
            l.p50 * 1e3,
            l.p95 * 1e3,
            l.max * 1e3,
            l.count
        ),
        None => "no frames".into(),
    }
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

/// The verdict and metrics of a run, several lines.
fn details(sc: &Scenario, run: &SimRun) -> String {
    let (r, st) = (&run.report, &run.stack);
    let mut s = String::new();
    let _ = writeln!(s, "\n{}", r.summary());
    if let Some(line) = st.degraded_line() {
        let _ = writeln!(s, "  {line}");
    }
    if sc.expect.verdict == Verdict::Fail {
        let _ = writeln!(s, "  declared to fail: {}", sc.expect.reason);
    }
    let first: Vec<String> = r
        .first_reported
        .iter()
        .map(|(a, t)| match t {
            Some(t) => format!("{a} {t:.2} s"),
            None => format!("{a} never"),
        })
        .collect();
    let _ = writeln!(s, "  first confirmed track: {}", first.join(", "));
    let t = &r.tracking;
    let _ = writeln!(
        s,
        "  tracking: MOTA {:.3}, ID switches {}, misses {}/{}, false positives {}, position RMSE {:.2} m, velocity RMSE {:.2} m/s",
        t.mota,
        t.id_switches,
        t.misses,
        t.gt_count,
        t.false_positives,
        t.position_rmse,
        t.velocity_rmse
    );
    let _ = writeln!(
        s,
        "  detection (within {} m):",
        kestrel_sim::closed_loop::EVAL_RANGE
    );
    let bands: Vec<String> = (0..=DISTANCE_BANDS.len())
        .map(|i| {
            let lo = if i == 0 { 0.0 } else { DISTANCE_BANDS[i - 1] };
            match DISTANCE_BANDS.get(i) {
                Some(hi) => format!("{lo:.0}-{hi:.0} m"),
                None => format!("{lo:.0}+ m"),
            }
        })
        .collect();
    for ((class, band), c) in &r.detection {
        let _ = writeln!(
            s,
            "    {:<10} {:<9} precision {} recall {} (tp {}, fp {}, fn {})",
            class.name(),
            bands.get(*band).map_or("?", String::as_str),
            ratio(c.precision()),
            ratio(c.recall()),
            c.tp,
            c.fp,
            c.fn_
        );
    }
    let _ = writeln!(
        s,
        "  camera detector associated with {} of {} fused detections",
        st.camera_objects, st.detected_objects
    );
    let _ = writeln!(
        s,
        "  stack compute per frame (wall clock): {}",
        ms(&st.compute_latency)
    );
    let _ = writeln!(
        s,
        "  end-to-end (alignment wait + compute): {}",
        ms(&st.end_to_end_latency)
    );
    if !st.errors.is_empty() {
        for (e, n) in &st.errors {
            let _ = writeln!(s, "  rejected {n}x: {e}");
        }
    }
    let _ = writeln!(
        s,
        "  output CDR digest {} ({} frames)",
        st.output_cdr_digest, st.frames
    );
    s
}
