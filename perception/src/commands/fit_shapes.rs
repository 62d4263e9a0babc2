//! `kestrel fit-shapes <pandaset-folder> --out DIR`: fits the LiDAR shape classifier on the
//! tuning frames of a labelled PandaSet sequence, measures it on the held-out frames, and
//! writes `DIR/classifier.toml` and its model card `DIR/README.md` (generated; see
//! `kestrel_perception::shape_training` for how samples are made).

use super::run::{ZenohFlags, load_config};
use kestrel_fusion::lidar::shape_classifier::{FitSettings, FitSummary, ShapeClassifier};
use kestrel_fusion::lidar::shape_features::SHAPE_FEATURE_NAMES;
use kestrel_perception::error::PerceptionError;
use kestrel_perception::evaluation::evaluate::parse_frame_range;
use kestrel_perception::shape_training::{
    ClassScore, SAMPLE_RANGE_M, SHAPE_CLASSES, ShapeSample, collect_samples, score,
};
use kestrel_sensors::ObjectClass;
use kestrel_sensors::pandaset::{HELDOUT_FROM, PandasetSequence};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `kestrel fit-shapes`.
#[derive(clap::Args)]
pub struct Args {
    /// A labelled PandaSet sequence folder (e.g. ../shared/data/pandaset-002).
    #[arg(value_name = "PANDASET")]
    pub input: PathBuf,
    /// Write classifier.toml and README.md (the model card) here.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Frames to fit on (`A-B`, inclusive frame numbers); default: the tuning frames 0-39.
    #[arg(long, value_name = "A-B")]
    pub fit_frames: Option<String>,
    /// Frames to measure on; default: the held-out frames, 40 to the last.
    #[arg(long, value_name = "A-B")]
    pub test_frames: Option<String>,
    /// Precision each class must reach on the fitting samples (sets its threshold). The
    /// default was chosen on PandaSet 002 frames 00-39 from 0.875, 0.9 and 0.925 by
    /// `kestrel eval`'s named share and MOTA on those frames.
    #[arg(long, default_value_t = 0.9)]
    pub target_precision: f64,
    /// Configuration file (TOML; its LiDAR and association tables are used).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also write every sample (fitting and held-out frames) as CSV here: frame, split,
    /// class, then the descriptors.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
}

/// The samples as CSV (module docs of `shape_training` for what a sample is).
fn samples_csv(fit: &[ShapeSample], test: &[ShapeSample]) -> String {
    let mut t = format!("frame,split,class,{}\n", SHAPE_FEATURE_NAMES.join(","));
    for (split, samples) in [("fit", fit), ("held_out", test)] {
        for s in samples {
            let values: Vec<String> = s.features.values.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(
                t,
                "{},{split},{},{}",
                s.frame,
                s.class.name(),
                values.join(",")
            );
        }
    }
    t
}

/// Name of this command in the card.
const COMMAND: &str = "kestrel fit-shapes";

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.1}%", 100.0 * v))
}

fn counts(samples: &[ShapeSample]) -> String {
    SHAPE_CLASSES
        .iter()
        .map(|&c| {
            let n = samples.iter().filter(|s| s.class == c).count();
            format!("{} {n}", class_name(c))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn class_name(c: ObjectClass) -> &'static str {
    match c {
        ObjectClass::Car => "vehicle",
        ObjectClass::Pedestrian => "pedestrian",
        ObjectClass::Bicycle => "cyclist",
        _ => "nothing to name",
    }
}

fn score_table(rows: &[ClassScore]) -> String {
    let mut t = String::from(
        "| class | samples | named | correct | precision | recall |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} |",
            class_name(r.class),
            r.samples,
            r.named,
            r.correct,
            percent(r.precision()),
            percent(r.recall())
        );
    }
    t
}

fn fit_table(rows: &[FitSummary]) -> String {
    let mut t = String::from(
        "| class | samples | min_probability | precision | recall |\n|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {:.3} | {} | {} |",
            class_name(r.class),
            r.samples,
            r.threshold,
            percent(Some(r.precision)),
            percent(Some(r.recall))
        );
    }
    t
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = load_config(args.config.as_deref(), &ZenohFlags::default())?;
    let sequence = PandasetSequence::open(&args.input)?;
    let last = sequence
        .frames()
        .iter()
        .map(|f| f.number)
        .max()
        .unwrap_or(0);
    let fit_frames = match &args.fit_frames {
        Some(r) => parse_frame_range(r)?,
        None => 0..=HELDOUT_FROM - 1,
    };
    let test_frames = match &args.test_frames {
        Some(r) => parse_frame_range(r)?,
        None => HELDOUT_FROM..=last,
    };
    if fit_frames.start() <= test_frames.end() && test_frames.start() <= fit_frames.end() {
        return Err(PerceptionError::Config(format!(
            "--fit-frames {fit_frames:?} and --test-frames {test_frames:?} overlap"
        ))
        .into());
    }
    let fusion = &config.pipeline().fusion;
    let fit_samples = collect_samples(&sequence, &fit_frames, fusion)?;
    let test_samples = collect_samples(&sequence, &test_frames, fusion)?;
    let settings = FitSettings {
        target_precision: args.target_precision,
        ..FitSettings::default()
    };
    let name = args
        .input
        .file_name()
        .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned());
    let provenance = format!(
        "`{COMMAND}` on PandaSet `{name}` frames {}-{} (human cuboid labels, CC BY 4.0): \
         multinomial logistic regression on the shape descriptors and their products of two, {} steps, \
         learning rate {}, L2 {}, class-balanced; thresholds for {:.0}% precision on those frames; classes with fewer than {} \
         samples name nothing",
        fit_frames.start(),
        fit_frames.end(),
        settings.steps,
        settings.learning_rate,
        settings.l2,
        100.0 * settings.target_precision,
        settings.min_samples_to_name
    );
    let flat: Vec<_> = fit_samples.iter().map(|s| (s.features, s.class)).collect();
    let (classifier, fitted) = ShapeClassifier::fit(&flat, &SHAPE_CLASSES, &settings, provenance)?;
    let held_out = score(&classifier, &test_samples);
    if let Some(path) = &args.samples {
        std::fs::write(path, samples_csv(&fit_samples, &test_samples))
            .map_err(|e| PerceptionError::io(path, e))?;
    }
    std::fs::create_dir_all(&args.out).map_err(|e| PerceptionError::io(&args.out, e))?;
    let toml_path = args.out.join("classifier.toml");
    let header = format!(
        "# Generated by `{COMMAND}` (see README.md next to this file); do not edit by hand.\n"
    );
    std::fs::write(&toml_path, header + &classifier.to_toml())
        .map_err(|e| PerceptionError::io(&toml_path, e))?;
    let card = format!(
        "<!-- generated by {COMMAND}: begin -->\n\
         # LiDAR shape classifier `{dir}`\n\n\
         Names the LiDAR objects no camera named (vehicle, pedestrian, cyclist, or nothing) from \
         the shape of their points: footprint length and width, top, bottom and median height \
         above the ground, height spread, share of points above 1.2 m, point count and range \
         (`fusion/src/lidar/shape_features.rs`, `shape_classifier.rs`). A vehicle longer than \
         {truck} m is named a truck. Loaded by the association (`[fusion.association] \
         shape_classifier`, default `shipped`).\n\n\
         Written by:\n\n```sh\ncargo run --bin kestrel -- fit-shapes {input} --out {out}\n```\n\n\
         ## Data\n\n\
         PandaSet `{name}` (CC BY 4.0, Hesai and Scale AI): each sweep goes through the \
         production LiDAR branch and association without cameras; each object within \
         {range} m is matched to the human cuboid labels as `kestrel eval` matches (2 m \
         vehicles, 1 m others) and takes its label's group, or \"nothing to name\" (unmatched, \
         or a cone/sign label). **Fitted on frames {fa}-{fb}** (the tuning frames): {fit_counts}. \
         **Measured on frames {ta}-{tb}** (held out, never fitted on): {test_counts}. The \
         sequence is one 5.6-s drive: the held-out frames see many of the same parked cars from \
         a few metres further on, so they measure generalisation to new viewpoints, not to new \
         streets or LiDARs.\n\n\
         ## Fit (frames {fa}-{fb}, the samples it was fitted on)\n\n\
         Thresholds (`min_probability`) are the lowest at which the class reaches {target:.0}% \
         precision on these samples; a class with fewer than {min_samples} samples names \
         nothing (1.000): on a handful of tracks the threshold does not hold on new frames.\n\n\
         {fit}\n\
         ## Held-out frames {ta}-{tb}\n\n{held}\n\
         Precision: of the objects the classifier names with a class, the share of that class; \
         recall: of the objects of a class, the share it names so. How this changes what Kestrel \
         publishes (named share, MOTA) is in `EVALUATION.md`.\n\n\
         ## Limits\n\n\
         Fitted on one LiDAR model (the Pandar64 of PandaSet) and one drive: the descriptors \
         include point counts and heights as that LiDAR sees them. `EVALUATION.md` shows it \
         naming mostly other things vehicles on the KITTI (HDL-64E) and nuScenes (HDL-32E) \
         frames. Check it on your LiDAR with `kestrel eval`, refit it there with this command \
         on a labelled sequence in PandaSet's layout, or turn it off with \
         `shape_classifier = \"none\"`.\n\
         <!-- generated by {COMMAND}: end -->\n",
        dir = args
            .out
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        truck = settings.truck_from_length,
        input = args.input.display(),
        out = args.out.display(),
        range = SAMPLE_RANGE_M,
        fa = fit_frames.start(),
        fb = fit_frames.end(),
        ta = test_frames.start(),
        tb = test_frames.end(),
        fit_counts = counts(&fit_samples),
        test_counts = counts(&test_samples),
        fit = fit_table(&fitted),
        held = score_table(&held_out),
        target = 100.0 * settings.target_precision,
        min_samples = settings.min_samples_to_name,
    );
    let card_path = args.out.join("README.md");
    std::fs::write(&card_path, &card).map_err(|e| PerceptionError::io(&card_path, e))?;
    print!("{card}");
    Ok(())
}
