//! Running the teacher once per augmented view and keeping its dense outputs on the student's
//! grid, so training epochs never re-run the teacher.
//!
//! The view is pasted at the top-left of the teacher's 416x416 canvas at the same pixel scale
//! as on the student's canvas, so teacher cell `(row, col)` of stride `s` covers exactly the
//! pixels of student cell `(row, col)` of stride `s`: targets align without interpolation.

use crate::DistillError;
use crate::augment::{ViewParams, render_view, sample_view};
use crate::seeded_rng::SeededRng;
use crate::student_classes::{BOX_BINS, NUM_CLASSES, TEACHER_CHANNELS};
use crate::student_net::LEVEL_STRIDES;
use kestrel_models::Detector;
use kestrel_models::image_resample::PixelView;
use kestrel_models::preprocess::input_from_rgb;
use kestrel_sensors::CameraFrame;
use ndarray::ArrayD;

/// Cells of a student with input `height x width`, over all levels (stride 8, 16, 32).
pub fn student_cells(height: usize, width: usize) -> usize {
    LEVEL_STRIDES
        .iter()
        .map(|s| (height / s) * (width / s))
        .sum()
}

/// Teacher targets of one view on the student's grid (levels concatenated, stride 8 first).
#[derive(Debug, Clone, PartialEq)]
pub struct TeacherTargets {
    /// Class probabilities `[cells * NUM_CLASSES]` for the student classes.
    pub scores: Vec<f32>,
    /// Box-distribution logits `[cells * BOX_BINS]`; only meaningful where `box_weight > 0`.
    pub boxes: Vec<(u32, [f32; BOX_BINS])>,
}

/// A cached view: how to render it and what the teacher said about it.
#[derive(Debug, Clone)]
pub struct CachedView {
    /// Augmentation recipe.
    pub view: ViewParams,
    /// Teacher outputs.
    pub targets: TeacherTargets,
}

/// Cells whose best student-class teacher score is below this carry no box target.
pub const BOX_TARGET_MIN_SCORE: f32 = 0.05;

fn level_map<'a>(
    detector: &Detector,
    outputs: &'a [ArrayD<f32>],
    name: &str,
) -> Result<&'a ArrayD<f32>, DistillError> {
    let idx = detector
        .manifest()
        .outputs
        .iter()
        .position(|o| o.name == name)
        .ok_or_else(|| DistillError::Tensor {
            what: name.into(),
            reason: "not an output".into(),
        })?;
    Ok(&outputs[idx])
}

/// Runs the teacher on rendered view content (RGB 0..255, `cw x ch`) and extracts its
/// outputs on the grid of a `height x width` student.
pub fn teacher_targets(
    teacher: &Detector,
    rgb: &[f32],
    content: (usize, usize),
    height: usize,
    width: usize,
) -> Result<TeacherTargets, DistillError> {
    let spec = &teacher.manifest().input;
    if height > spec.height() || width > spec.width() {
        return Err(DistillError::Setting(format!(
            "student input {height}x{width} larger than the teacher's {}x{}",
            spec.height(),
            spec.width()
        )));
    }
    let input = input_from_rgb(spec, rgb, content.0, content.1);
    let outputs = teacher.run_raw(input)?;
    let mut scores = Vec::with_capacity(student_cells(height, width) * NUM_CLASSES);
    let mut boxes = Vec::new();
    let mut cell_base = 0u32;
    for level in &teacher.manifest().decoder.levels {
        let s = level.stride;
        if !LEVEL_STRIDES.contains(&s) {
            continue;
        }
        let t_cols = spec.width().div_ceil(s);
        let sc = level_map(teacher, &outputs, &level.scores)?;
        let bx = level_map(teacher, &outputs, &level.boxes)?;
        let (n_classes, n_bins) = (sc.shape()[2], bx.shape()[2]);
        if n_bins != BOX_BINS {
            return Err(DistillError::Tensor {
                what: level.boxes.clone(),
                reason: format!("{n_bins} bins, need {BOX_BINS}"),
            });
        }
        let (sc, bx) = (sc.as_slice().unwrap_or(&[]), bx.as_slice().unwrap_or(&[]));
        let (rows, cols) = (height / s, width / s);
        for r in 0..rows {
            for c in 0..cols {
                let t = r * t_cols + c;
                let row = &sc[t * n_classes..(t + 1) * n_classes];
                let mut best = 0.0f32;
                for &ch in &TEACHER_CHANNELS {
                    let v = if row[ch].is_finite() {
                        row[ch].clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    scores.push(v);
                    best = best.max(v);
                }
                if best >= BOX_TARGET_MIN_SCORE {
                    let mut b = [0.0f32; BOX_BINS];
                    b.copy_from_slice(&bx[t * BOX_BINS..(t + 1) * BOX_BINS]);
                    if b.iter().all(|v| v.is_finite()) {
                        boxes.push((cell_base + (r * cols + c) as u32, b));
                    }
                }
            }
        }
        cell_base += (rows * cols) as u32;
    }
    if cell_base as usize != student_cells(height, width) {
        return Err(DistillError::Setting(format!(
            "teacher has no level for every student stride {LEVEL_STRIDES:?}"
        )));
    }
    Ok(TeacherTargets { scores, boxes })
}

/// How many views to label and on which student grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// Augmented views drawn per image.
    pub views_per_image: usize,
    /// Student input height, pixels.
    pub height: usize,
    /// Student input width, pixels.
    pub width: usize,
    /// Seed of the augmentation.
    pub seed: u64,
    /// Worker threads running the teacher.
    pub threads: usize,
}

/// Draws `views_per_image` augmented views of every image and caches the teacher's targets;
/// `progress` is called after each view. Views are generated from the seed up front, so the
/// cache does not depend on thread timing.
pub fn cache_teacher(
    teacher: &Detector,
    images: &[CameraFrame],
    settings: CacheSettings,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<CachedView>, DistillError> {
    let CacheSettings {
        views_per_image,
        height,
        width,
        seed,
        threads,
    } = settings;
    let mut rng = SeededRng::new(seed);
    let mut views = Vec::with_capacity(images.len() * views_per_image);
    for _ in 0..views_per_image {
        for (i, f) in images.iter().enumerate() {
            views.push(sample_view(
                &mut rng,
                i,
                f.width as usize,
                f.height as usize,
                width,
                height,
            ));
        }
    }
    let threads = threads.max(1);
    let chunk = views.len().div_ceil(threads);
    let results: Vec<Result<Vec<CachedView>, DistillError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = views
            .chunks(chunk.max(1))
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|v| {
                            let img = PixelView::from_frame(&images[v.image]);
                            let rgb = render_view(v, &img);
                            let targets = teacher_targets(teacher, &rgb, v.content, height, width)?;
                            progress();
                            Ok(CachedView { view: *v, targets })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DistillError::Setting("teacher worker panicked".into()))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(views.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}
