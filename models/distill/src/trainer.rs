//! The distillation training loop (burn, AdamW, cosine learning rate) over augmented views of
//! pseudo-labelled images; each view's targets are made when its batch is drawn.

use crate::DistillError;
use crate::augment::{ViewParams, render_view};
use crate::distill_loss::{BatchTargets, distill_loss};
use crate::onnx_export::student_input_spec;
use crate::pseudo_label_targets::{PseudoLabelThresholds, pseudo_label_targets};
use crate::seeded_rng::SeededRng;
use crate::student_net::StudentNet;
use crate::training_targets::student_cells;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use kestrel_models::Detection2d;
use kestrel_models::image_resample::PixelView;
use kestrel_models::preprocess::input_from_rgb;
use kestrel_sensors::CameraFrame;
use std::time::Instant;

/// Training images, their pseudo-labels and the views drawn from them.
#[derive(Debug, Clone, Copy)]
pub struct TrainData<'a> {
    /// Decoded training frames (indexed by `ViewParams::image`).
    pub images: &'a [CameraFrame],
    /// The teacher's pseudo-labels of each image (image pixels).
    pub labels: &'a [Vec<Detection2d>],
    /// Augmented views.
    pub views: &'a [ViewParams],
    /// How pseudo-label scores become targets.
    pub thresholds: PseudoLabelThresholds,
    /// Student input height in pixels.
    pub height: usize,
    /// Student input width in pixels.
    pub width: usize,
}

/// Optimiser and schedule settings.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainSettings {
    /// Optimiser steps.
    pub steps: usize,
    /// Views per step.
    pub batch: usize,
    /// Peak learning rate (after a linear warm-up over the first 5 % of steps, cosine decay to
    /// 5 % of it).
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f32,
    /// Weight of the box term.
    pub box_weight: f32,
    /// Seed of the view order.
    pub seed: u64,
}

/// Loss of one step.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct StepLog {
    /// Step index.
    pub step: usize,
    /// Total loss.
    pub loss: f32,
    /// Class term.
    pub cls: f32,
    /// Box term.
    pub boxes: f32,
    /// Training throughput of this step, views per second.
    pub images_per_s: f32,
}

/// Builds the student input batch `[n, 3, h, w]` and targets for `views`.
pub fn make_batch(
    data: &TrainData<'_>,
    views: &[&ViewParams],
    device: &Device,
) -> (Tensor<4>, BatchTargets) {
    let spec = student_input_spec(data.height, data.width);
    let per = 3 * data.height * data.width;
    let mut pixels = Vec::with_capacity(views.len() * per);
    let mut targets = Vec::with_capacity(views.len());
    for v in views {
        let img = PixelView::from_frame(&data.images[v.image]);
        let rgb = render_view(v, &img);
        let input = input_from_rgb(&spec, &rgb, v.content.0, v.content.1);
        pixels.extend(input.iter().copied());
        targets.push(pseudo_label_targets(
            &data.labels[v.image],
            v,
            data.height,
            data.width,
            &data.thresholds,
        ));
    }
    let x = Tensor::from_data(
        TensorData::new(pixels, [views.len(), 3, data.height, data.width]),
        device,
    );
    let refs: Vec<_> = targets.iter().collect();
    let t = BatchTargets::new(&refs, student_cells(data.height, data.width), device);
    (x, t)
}

/// Loss of `net` on `views` without training (plain forward).
pub fn evaluate_loss(
    net: &StudentNet,
    data: &TrainData<'_>,
    views: &[&ViewParams],
    box_weight: f32,
    device: &Device,
) -> f32 {
    let (x, t) = make_batch(data, views, device);
    let loss = distill_loss(&net.forward(x), &t, box_weight);
    loss.total.into_scalar::<f32>()
}

fn learning_rate(s: &TrainSettings, step: usize) -> f64 {
    let warm = (s.steps / 20).max(1);
    if step < warm {
        return s.lr * (step + 1) as f64 / warm as f64;
    }
    let t = (step - warm) as f64 / (s.steps - warm).max(1) as f64;
    let floor = 0.05 * s.lr;
    floor + (s.lr - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
}

/// Trains `net` (whose parameters live on the autodiff `device`) on `data`; calls `on_step`
/// after every step. Stops early (returning what it has) when `deadline` passes.
pub fn train(
    mut net: StudentNet,
    data: &TrainData<'_>,
    s: &TrainSettings,
    device: &Device,
    deadline: Option<Instant>,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<(StudentNet, Vec<StepLog>), DistillError> {
    if data.views.is_empty() || s.batch == 0 {
        return Err(DistillError::Setting(
            "training needs views and batch > 0".into(),
        ));
    }
    let mut optim = AdamWConfig::new().with_weight_decay(s.weight_decay).init();
    let mut rng = SeededRng::new(s.seed);
    let mut order: Vec<usize> = (0..data.views.len()).collect();
    let mut cursor = order.len();
    let mut logs = Vec::with_capacity(s.steps);
    for step in 0..s.steps {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let t0 = Instant::now();
        let mut batch = Vec::with_capacity(s.batch);
        while batch.len() < s.batch {
            if cursor == order.len() {
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.below(i + 1));
                }
                cursor = 0;
            }
            batch.push(&data.views[order[cursor]]);
            cursor += 1;
        }
        let (x, t) = make_batch(data, &batch, device);
        let loss = distill_loss(&net.forward(x), &t, s.box_weight);
        let grads = GradientsParams::from_grads(loss.total.backward(), &net);
        net = optim.step(learning_rate(s, step), net, grads);
        let log = StepLog {
            step,
            loss: loss.total.into_scalar::<f32>(),
            cls: loss.cls.into_scalar::<f32>(),
            boxes: loss.boxes.into_scalar::<f32>(),
            images_per_s: s.batch as f32 / t0.elapsed().as_secs_f32().max(1e-6),
        };
        if !log.loss.is_finite() {
            return Err(DistillError::Setting(format!(
                "loss became {} at step {step}",
                log.loss
            )));
        }
        on_step(&log);
        logs.push(log);
    }
    Ok((net, logs))
}

/// The network without autodiff, for export and evaluation.
pub fn inference_copy(net: &StudentNet) -> StudentNet {
    net.valid()
}
