//! `kestrel-distill`: the training toolchain's command line.
//!
//! `kestrel-distill recipe` runs the whole reproducible recipe (teacher cache -> distillation
//! -> pruning -> export -> evaluation -> model card) and writes `models/zoo/<name>/`.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kestrel_distill::adaptation::{AdaptReport, AdaptSettings, adapt, render_markdown};
use kestrel_distill::conv_lowering::{TimingPlan, fastest, measure_lowerings};
use kestrel_distill::detector_evaluation::{Labeller, detect_all, score};
use kestrel_distill::ensemble_teacher::EnsembleSettings;
use kestrel_distill::human_labels::{HELDOUT_FROM, load_pandaset_images};
use kestrel_distill::input_reference_recording::{ReferenceSettings, record_input_reference};
use kestrel_distill::recipe::{RecipeConfig, RecipeReport, run_recipe};
use kestrel_distill::recipe_progress::RecipeProgress;
use kestrel_distill::trainer::StepLog;
use kestrel_distill::{DistillError, block_graphs, model_card, model_cost, student_candidates};
use kestrel_models::manifest::Monitoring;
use kestrel_models::zoo;
use kestrel_models::{Detector, ModelManifest};
use kestrel_sensors::camera_shift::CameraShift;
use kestrel_sensors::image_labels::ImageLabelSettings;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

#[derive(Parser)]
#[command(
    name = "kestrel-distill",
    about = "Distil, prune, export and evaluate Kestrel students"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the full reference recipe and write models/zoo/<name>/ (ONNX, manifest, metrics,
    /// MODEL_CARD.md).
    Recipe {
        /// The recipe as JSON (a `RecipeConfig`, the layout of `metrics.json`'s `config`;
        /// default: the reference recipe of kestrel-student-v3). The options below override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output folder (default: models/zoo/<name of the config>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Distillation steps (default: the reference recipe's).
        #[arg(long)]
        steps: Option<usize>,
        /// Fine-tuning steps after each pruning round (default: the reference recipe's).
        #[arg(long)]
        finetune_steps: Option<usize>,
        /// Augmented views per training image.
        #[arg(long)]
        views_per_image: Option<usize>,
        /// Time budget for caching + training + pruning, minutes.
        #[arg(long)]
        budget_min: Option<u64>,
        /// Worker threads (teacher caching, evaluation). Burn uses RAYON_NUM_THREADS.
        #[arg(long)]
        threads: Option<usize>,
        /// A log whose camera frames join the training images, e.g. a mining log of
        /// `kestrel replay --mine` (repeatable).
        #[arg(long = "from-log", value_name = "MCAP")]
        from_log: Vec<PathBuf>,
        /// Keep the ensemble teacher's labels of the training images in this folder and
        /// reuse them in later runs (same teacher, ensemble settings and images; the result
        /// is the same with or without). Saves the ~15-minute labelling.
        #[arg(long, value_name = "DIR")]
        label_cache: Option<PathBuf>,
    },
    /// Adapt a student to the frames its monitors mined (`kestrel replay|run --mine`):
    /// fine-tune it from its own weights on them plus a rehearsal of its training images,
    /// labelled by the ensemble teacher; measure agreement with the teacher before and after on
    /// held-out frames as they are and shifted; write the adapted model to `out` and
    /// `adaptation.json` + `ADAPTATION.md` to `report`.
    Adapt {
        /// The mining log(s).
        #[arg(long = "from-log", value_name = "MCAP", required = true)]
        from_log: Vec<PathBuf>,
        /// The student's manifest (default: the shipped student).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The shift the mined frames show (`dusk`, `defocus`), applied to the held-out frames
        /// to measure the new domain.
        #[arg(long, value_name = "SHIFT")]
        eval_shift: Option<String>,
        /// Optimiser steps.
        #[arg(long, default_value_t = AdaptSettings::default().steps)]
        steps: usize,
        /// Learning rate as a fraction of the recipe's.
        #[arg(long, default_value_t = AdaptSettings::default().lr_scale)]
        lr_scale: f64,
        /// Original training images rehearsed next to the mined ones.
        #[arg(long, default_value_t = AdaptSettings::default().replay_images)]
        replay_images: usize,
        /// Held-out PandaSet frames (from the first) in the validation block, on which
        /// settings are chosen; the later ones decide the verdict.
        #[arg(long, default_value_t = AdaptSettings::default().validation_frames)]
        validation_frames: u32,
        /// Augmented views per image.
        #[arg(long, default_value_t = AdaptSettings::default().views_per_image)]
        views_per_image: usize,
        /// Read the ensemble teacher's pseudo-labels from this folder and store the missing
        /// ones there (as `recipe --label-cache`).
        #[arg(long, value_name = "DIR")]
        label_cache: Option<PathBuf>,
        /// Worker threads (labelling, evaluation).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Folder of the adapted model.
        #[arg(long)]
        out: PathBuf,
        /// Folder of the report (default: `out`).
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Score detectors against human labels: PandaSet cuboids projected into the six cameras
    /// (objects >= 20 px tall, visible in the LiDAR), per class AP50 and recall at precision
    /// 0.5, for the single-pass teacher, the ensemble teacher and the given students; prints
    /// a table and writes JSON.
    Evaluate {
        /// A PandaSet sequence folder (e.g. ../shared/data/pandaset-002).
        #[arg(long)]
        pandaset: PathBuf,
        /// Which frames: `heldout` (>= 40), `train` (< 40) or `all`.
        #[arg(long, default_value = "heldout")]
        split: String,
        /// Student manifests to score (default: the shipped student).
        #[arg(long)]
        student: Vec<PathBuf>,
        /// Skip the ensemble teacher (slow: 20 passes per image).
        #[arg(long)]
        no_ensemble: bool,
        /// Ensemble settings as JSON (default: tiles of at most half the image and 640 px, flips, fusion IoU 0.55).
        #[arg(long)]
        ensemble: Option<String>,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Write the scores here as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write every image's labels and detections here, one JSON line per image and
        /// detector (for inspection).
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// Write the candidate blocks of the tract block benchmark as ONNX graphs into `out`
    /// (`<name>.onnx` each), the candidate students as model folders (`<name>/model.onnx`,
    /// `model.toml`; random weights) and `index.json` (name, family, description, input
    /// shape, multiply-accumulates and parameters as tract counts them); used by
    /// `benches/compare/blocks.py`.
    BlockGraphs {
        /// Output folder (created).
        #[arg(long)]
        out: PathBuf,
    },
    /// Record a student's input reference on its training data (statistics of every input
    /// and its agreement with the teacher) and name it in the student's manifest, for the
    /// runtime's drift and shadow-teacher monitors; writes `input_reference.toml` next to
    /// the manifest.
    InputReference {
        /// The student's manifest (default: the shipped student).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The PandaSet sequence the student was trained on.
        #[arg(long, default_value = "../shared/data/pandaset-002")]
        pandaset: PathBuf,
        /// Images per rolling agreement window (match the runtime's `monitor.agreement_window`).
        #[arg(long, default_value_t = 12)]
        window: usize,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Choose how tract lowers a student's convolutions by measurement: build it once per
    /// candidate lowering (tract's default lazy im2col, eager im2col), check their outputs are
    /// bit-identical, time them in alternating rounds (one thread), and write the fastest
    /// into the manifest's `[tract_knobs]`. The recipe does the same for the students it
    /// writes.
    Lowering {
        /// The student's manifest (default: the shipped student).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Rounds; each times every candidate in turn.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Timed runs per candidate and round.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Camera image the input is prepared from (default: KITTI object frame 000000 of
        /// the repository's test data).
        #[arg(long)]
        image: Option<PathBuf>,
        /// Measure and print only; leave the manifest as it is.
        #[arg(long)]
        dry_run: bool,
    },
    /// Re-render MODEL_CARD.md from a recipe run's metrics.json (written next to it) and the
    /// adaptation run recorded in `adaptation/adaptation.json` next to it, if any (e.g. after
    /// the card's wording changed, or a new loop_demo.sh run); no training.
    Card {
        /// The run's metrics.json (default: the shipped student's).
        metrics: Option<PathBuf>,
    },
}

/// Progress bar on a terminal, plain log lines otherwise (e.g. when logging to a file).
struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    tty: bool,
}

impl RecipeProgress for Progress {
    fn phase(&self, name: &str, len: u64) {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(name.to_string());
        if !self.tty {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            eprintln!("== {name}: {len}");
        }
        if let Ok(mut b) = self.bar.lock() {
            if let Some(old) = b.take() {
                old.finish();
            }
            *b = Some(bar);
        }
    }

    fn tick(&self) {
        if let Ok(b) = self.bar.lock()
            && let Some(b) = b.as_ref()
        {
            b.inc(1);
            if !self.tty && b.position().is_multiple_of(100) {
                eprintln!(
                    "  {}/{} eta {:?}",
                    b.position(),
                    b.length().unwrap_or(0),
                    b.eta()
                );
            }
        }
    }

    fn step(&self, l: &StepLog) {
        if let Ok(b) = self.bar.lock()
            && let Some(b) = b.as_ref()
        {
            b.set_message(format!(
                "loss {:.4} (cls {:.4} box {:.4}) {:.1} img/s",
                l.loss, l.cls, l.boxes, l.images_per_s
            ));
            b.inc(1);
            if !self.tty && l.step.is_multiple_of(10) {
                eprintln!(
                    "  step {} loss {:.4} cls {:.4} box {:.4} {:.1} img/s eta {:?}",
                    l.step,
                    l.loss,
                    l.cls,
                    l.boxes,
                    l.images_per_s,
                    b.eta()
                );
            }
        }
    }

    fn note(&self, text: &str) {
        if let Ok(b) = self.bar.lock() {
            match b.as_ref() {
                Some(b) if self.tty => b.println(text),
                _ => eprintln!("{text}"),
            }
        }
    }
}

fn run(cli: Cli) -> Result<(), DistillError> {
    match cli.command {
        Command::Recipe {
            config,
            out,
            steps,
            finetune_steps,
            views_per_image,
            budget_min,
            threads,
            from_log,
            label_cache,
        } => {
            let mut cfg = match config {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(DistillError::io(&path))?;
                    serde_json::from_str(&text).map_err(|e| DistillError::Data {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?
                }
                None => RecipeConfig::reference(),
            };
            if let Some(s) = steps {
                cfg.train.steps = s;
            }
            if let Some(s) = finetune_steps {
                cfg.finetune_steps = s;
            }
            if let Some(v) = views_per_image {
                cfg.views_per_image = v;
            }
            if let Some(b) = budget_min {
                cfg.time_budget_s = b * 60;
            }
            if let Some(t) = threads {
                cfg.threads = t;
            }
            cfg.extra_logs
                .extend(from_log.iter().map(|p| p.display().to_string()));
            let out = out.unwrap_or_else(|| zoo::models_dir().join("zoo").join(&cfg.name));
            let progress = Progress {
                bar: Mutex::new(None),
                tty: std::io::stderr().is_terminal(),
            };
            let report = run_recipe(&cfg, &out, label_cache.as_deref(), &progress)?;
            let card = out.join("MODEL_CARD.md");
            let previous = std::fs::read_to_string(&card).unwrap_or_default();
            std::fs::write(
                &card,
                model_card::render_keeping_observations(&report, None, &previous),
            )
            .map_err(DistillError::io(&card))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
        Command::Evaluate {
            pandaset,
            split,
            student,
            no_ensemble,
            ensemble,
            threads,
            json,
            dump,
        } => evaluate(
            &pandaset,
            &split,
            student,
            (!no_ensemble)
                .then(|| parse_ensemble(ensemble.as_deref()))
                .transpose()?,
            threads,
            json,
            dump,
        ),
        Command::BlockGraphs { out } => {
            std::fs::create_dir_all(&out).map_err(DistillError::io(&out))?;
            let mut index = Vec::new();
            for g in block_graphs::block_graphs() {
                let path = out.join(format!("{}.onnx", g.name));
                let cost = model_cost::graph_cost(&g.onnx, &g.input_shape, &path)?;
                std::fs::write(&path, &g.onnx).map_err(DistillError::io(&path))?;
                index.push(serde_json::json!({
                    "graph": g,
                    "kind": "onnx",
                    "path": path,
                    "onnx": path,
                    "macs": cost.macs,
                    "parameters": cost.parameters,
                }));
            }
            for c in student_candidates::student_candidates() {
                let dir = out.join(&c.name);
                std::fs::create_dir_all(&dir).map_err(DistillError::io(&dir))?;
                let exported = student_candidates::export_candidate(&c, 7)?;
                let onnx = dir.join("model.onnx");
                let toml = dir.join("model.toml");
                let cost = model_cost::model_cost(&exported.manifest, &exported.onnx, &onnx)?;
                std::fs::write(&onnx, &exported.onnx).map_err(DistillError::io(&onnx))?;
                std::fs::write(&toml, exported.manifest.to_toml()?)
                    .map_err(DistillError::io(&toml))?;
                index.push(serde_json::json!({
                    "graph": {
                        "name": c.name,
                        "family": "full students (backbone + 3 GFL heads, random weights)",
                        "description": c.description,
                        "input_shape": exported.manifest.input.shape,
                    },
                    "candidate": c,
                    "kind": "manifest",
                    "path": toml,
                    "onnx": onnx,
                    "macs": cost.macs,
                    "parameters": cost.parameters,
                }));
            }
            let path = out.join("index.json");
            let json = serde_json::to_string_pretty(&index).map_err(|e| DistillError::Data {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            std::fs::write(&path, json).map_err(DistillError::io(&path))?;
            eprintln!("wrote {} graphs to {}", index.len(), out.display());
            Ok(())
        }
        Command::Lowering {
            model,
            rounds,
            runs,
            image,
            dry_run,
        } => {
            let manifest_path = model.unwrap_or_else(zoo::default_student_manifest);
            let mut manifest = ModelManifest::load(&manifest_path)?;
            let image = image.unwrap_or_else(|| {
                zoo::models_dir().join("../sensors/testdata/kitti/object/image_2/000000.png")
            });
            let frame = kestrel_models::image_file::load_image_file(&image)?;
            let (input, _) = kestrel_models::preprocess::prepare(
                &manifest.input,
                &kestrel_models::PixelView::from_frame(&frame),
            );
            let plan = TimingPlan {
                rounds,
                runs_per_round: runs,
            };
            let timings = measure_lowerings(&manifest, &manifest_path, &input, plan)?;
            println!("| lowering | knobs | median ms | runs |\n|---|---|---:|---:|");
            for t in &timings {
                let knobs: Vec<String> = t
                    .candidate
                    .knobs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                println!(
                    "| {} | {} | {:.2} | {} |",
                    t.candidate.name,
                    knobs.join(" "),
                    t.median_ms,
                    t.runs
                );
            }
            manifest.tract_knobs = fastest(&timings);
            if !dry_run {
                std::fs::write(&manifest_path, manifest.to_toml()?)
                    .map_err(DistillError::io(&manifest_path))?;
                eprintln!(
                    "wrote tract_knobs {:?} into {}",
                    manifest.tract_knobs,
                    manifest_path.display()
                );
            }
            Ok(())
        }
        Command::InputReference {
            model,
            pandaset,
            window,
            threads,
        } => {
            let manifest_path = model.unwrap_or_else(zoo::default_student_manifest);
            let student = Detector::load(&manifest_path)?;
            let settings = ReferenceSettings {
                pandaset: &pandaset,
                heldout_from: HELDOUT_FROM,
                window,
                threads,
            };
            let reference = record_input_reference(&student, &settings)?;
            let file = "input_reference.toml";
            reference.save(&manifest_path.with_file_name(file))?;
            let mut manifest = ModelManifest::load(&manifest_path)?;
            manifest.monitoring = Some(Monitoring {
                input_reference: file.into(),
            });
            std::fs::write(&manifest_path, manifest.to_toml()?)
                .map_err(DistillError::io(&manifest_path))?;
            eprintln!(
                "wrote {} and named it in {}",
                manifest_path.with_file_name(file).display(),
                manifest_path.display()
            );
            Ok(())
        }
        Command::Adapt {
            from_log,
            model,
            eval_shift,
            steps,
            lr_scale,
            replay_images,
            validation_frames,
            views_per_image,
            label_cache,
            threads,
            out,
            report,
        } => {
            let eval_shift = eval_shift
                .map(|s| {
                    CameraShift::parse(&s).ok_or_else(|| {
                        DistillError::Setting(format!("--eval-shift {s}: expected dusk or defocus"))
                    })
                })
                .transpose()?;
            let settings = AdaptSettings {
                steps,
                lr_scale,
                replay_images,
                validation_frames,
                views_per_image,
                eval_shift,
                threads,
                ..AdaptSettings::default()
            };
            let manifest = model.unwrap_or_else(zoo::default_student_manifest);
            let progress = Progress {
                bar: Mutex::new(None),
                tty: std::io::stderr().is_terminal(),
            };
            let r = adapt(
                &manifest,
                &from_log,
                &settings,
                &out,
                label_cache.as_deref(),
                &progress,
            )?;
            let report_dir = report.unwrap_or_else(|| out.clone());
            std::fs::create_dir_all(&report_dir).map_err(DistillError::io(&report_dir))?;
            let json = report_dir.join("adaptation.json");
            let text = serde_json::to_string_pretty(&r).map_err(|e| DistillError::Data {
                path: json.clone(),
                reason: e.to_string(),
            })?;
            std::fs::write(&json, text).map_err(DistillError::io(&json))?;
            let md = report_dir.join("ADAPTATION.md");
            let rendered = render_markdown(&r);
            std::fs::write(&md, &rendered).map_err(DistillError::io(&md))?;
            println!("{rendered}");
            eprintln!("wrote {} and {}", out.display(), md.display());
            Ok(())
        }
        Command::Card { metrics } => {
            let metrics = metrics
                .unwrap_or_else(|| zoo::default_student_manifest().with_file_name("metrics.json"));
            let text = std::fs::read_to_string(&metrics).map_err(DistillError::io(&metrics))?;
            let report: RecipeReport =
                serde_json::from_str(&text).map_err(|e| DistillError::Data {
                    path: metrics.clone(),
                    reason: e.to_string(),
                })?;
            let card = metrics.with_file_name("MODEL_CARD.md");
            let previous = std::fs::read_to_string(&card).unwrap_or_default();
            // The adaptation run recorded next to the card, if any (loop_demo.sh).
            let adaptation_json = metrics.with_file_name("adaptation").join("adaptation.json");
            let adaptation: Option<AdaptReport> = match std::fs::read_to_string(&adaptation_json) {
                Ok(text) => Some(serde_json::from_str(&text).map_err(|e| DistillError::Data {
                    path: adaptation_json.clone(),
                    reason: e.to_string(),
                })?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(DistillError::io(&adaptation_json)(e)),
            };
            std::fs::write(
                &card,
                model_card::render_keeping_observations(&report, adaptation.as_ref(), &previous),
            )
            .map_err(DistillError::io(&card))?;
            eprintln!("wrote {}", card.display());
            Ok(())
        }
    }
}

fn parse_ensemble(text: Option<&str>) -> Result<EnsembleSettings, DistillError> {
    match text {
        None => Ok(EnsembleSettings::default()),
        Some(t) => {
            serde_json::from_str(t).map_err(|e| DistillError::Setting(format!("--ensemble: {e}")))
        }
    }
}

fn evaluate(
    pandaset: &std::path::Path,
    split: &str,
    students: Vec<PathBuf>,
    ensemble: Option<EnsembleSettings>,
    threads: usize,
    json: Option<PathBuf>,
    dump: Option<PathBuf>,
) -> Result<(), DistillError> {
    let mut dump_lines = Vec::new();
    let keep: fn(u32) -> bool = match split {
        "heldout" => |n| n >= HELDOUT_FROM,
        "train" => |n| n < HELDOUT_FROM,
        "all" => |_| true,
        other => {
            return Err(DistillError::Setting(format!(
                "--split {other}: heldout, train or all"
            )));
        }
    };
    let images = load_pandaset_images(pandaset, keep, &ImageLabelSettings::default())?;
    eprintln!("{} images ({split})", images.len());
    let teacher = Detector::load(&zoo::teacher_manifest())?;
    let mut labellers = vec![(
        "teacher (single pass)".to_owned(),
        Labeller::single(&teacher)?,
    )];
    if let Some(s) = ensemble {
        labellers.push((
            "teacher (ensemble)".to_owned(),
            Labeller::ensemble(&teacher, s)?,
        ));
    }
    let students = if students.is_empty() {
        vec![zoo::default_student_manifest()]
    } else {
        students
    };
    for m in &students {
        let d = Detector::load(m)?;
        labellers.push((d.manifest().name.clone(), Labeller::single(&d)?));
    }
    let mut all = std::collections::BTreeMap::new();
    for (name, l) in &labellers {
        let start = std::time::Instant::now();
        let frames: Vec<&kestrel_sensors::CameraFrame> = images.iter().map(|i| &i.image).collect();
        let dets = detect_all(l, &frames, threads, &|| {})?;
        let scores = score(&images, &dets);
        if dump.is_some() {
            for (img, d) in images.iter().zip(&dets) {
                let line = serde_json::json!({
                    "detector": name,
                    "frame": img.frame,
                    "camera": img.camera,
                    "labels": img.labels.iter().map(|l| serde_json::json!({"class": l.class, "box": l.bbox, "ignore": l.ignore})).collect::<Vec<_>>(),
                    "detections": d,
                });
                dump_lines.push(line.to_string());
            }
        }
        println!("{name} ({:.0} s)", start.elapsed().as_secs_f64());
        println!(
            "  {:<11} {:>6} {:>7} {:>9} {:>10}",
            "class", "labels", "AP50", "recall@P.5", "max recall"
        );
        for (class, s) in &scores.classes {
            println!(
                "  {class:<11} {:>6} {:>7} {:>9.3} {:>10.3}",
                s.labels,
                s.ap.map_or("-".to_owned(), |v| format!("{v:.3}")),
                s.recall_at_precision,
                s.max_recall
            );
        }
        all.insert(name.clone(), scores);
    }
    if let Some(path) = dump {
        std::fs::write(&path, dump_lines.join("\n")).map_err(DistillError::io(&path))?;
    }
    if let Some(path) = json {
        let text =
            serde_json::to_string_pretty(&all).map_err(|e| DistillError::Setting(e.to_string()))?;
        std::fs::write(&path, text).map_err(DistillError::io(&path))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kestrel-distill: error: {e}");
            ExitCode::FAILURE
        }
    }
}
