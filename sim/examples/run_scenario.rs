//! Runs a canonical scenario closed-loop with the oracle stack and with a blind stack, prints
//! both verdicts, and writes a bird's-eye-view PNG of the oracle run plus camera frames every
//! 2 s to the output folder.
//!
//! ```sh
//! cargo run -p kestrel-sim --example run_scenario -- pedestrian_crossing /tmp/sim_out
//! ```

use kestrel_sensors::SensorMessage;
use kestrel_sim::closed_loop::{oracle_stack, run_scenario, run_scenario_with_truth};
use kestrel_sim::scenario_library;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "lead_brake".into());
    let out = PathBuf::from(args.next().unwrap_or_else(|| "sim_out".into()));
    if let Err(e) = run(&name, &out) {
        eprintln!("error: {e}");
        eprintln!(
            "canonical scenarios: {}",
            scenario_library::list().join(", ")
        );
        std::process::exit(1);
    }
}

fn run(name: &str, out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let sc = scenario_library::load(name)?;
    std::fs::create_dir_all(out)?;
    let mut oracle = oracle_stack(120.0);
    let mut saved = 0u64;
    let mut save_err = None;
    let report = run_scenario_with_truth(&sc, &mut |msgs, truth| {
        for m in msgs {
            if let SensorMessage::Camera(f) = m
                && f.timestamp.as_nanos() / 2_000_000_000 >= saved
            {
                saved = f.timestamp.as_nanos() / 2_000_000_000 + 1;
                let path = out.join(format!(
                    "{name}_camera_{:05.2}s.png",
                    f.timestamp.as_secs_f64()
                ));
                let img = image::RgbImage::from_raw(f.width, f.height, f.data.to_vec());
                if let Some(Err(e)) = img.map(|i| i.save(&path)) {
                    save_err = Some(e);
                }
            }
        }
        oracle(msgs, truth)
    })?;
    if let Some(e) = save_err {
        return Err(e.into());
    }
    println!("oracle: {}", report.summary());
    let bev = out.join(format!("{name}_bev.png"));
    let title = format!(
        "{} (seed {}), oracle perception: {}",
        report.scenario,
        report.seed,
        if report.passed { "PASS" } else { "FAIL" }
    );
    kestrel_sim::bev_plot::write_bev_png(&report.trace, &title, &bev, 1200, 500)?;
    println!(
        "wrote {} and camera frames to {}",
        bev.display(),
        out.display()
    );
    let blind = run_scenario(&sc, &mut |_| Vec::new())?;
    println!("blind:  {}", blind.summary());
    Ok(())
}
