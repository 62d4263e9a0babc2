//! The distillation loss between student logits and the training targets made from the
//! teacher's pseudo-labels ([`crate::pseudo_label_targets`]): a quality-focal BCE on the class
//! maps with the targets' probabilities as soft targets (cells marked ignored left out), and a
//! cross-entropy between the target and the student's box distributions (distribution focal
//! loss), weighted by each cell's class target.

use crate::student_classes::{BOX_BINS, NUM_CLASSES, REG_MAX};
use crate::student_net::LevelLogits;
use crate::training_targets::TrainingTargets;
use burn::tensor::activation::{log_sigmoid, log_softmax, sigmoid};
use burn::tensor::{Device, Tensor, TensorData};

/// Targets of a batch as tensors.
#[derive(Debug, Clone)]
pub struct BatchTargets {
    /// Class probabilities `[batch, cells, classes]`.
    pub scores: Tensor<3>,
    /// 1 for cells in the class loss, 0 for ignored ones `[batch, cells, 1]`.
    pub cls_mask: Tensor<3>,
    /// Box-bin probabilities `[batch, cells, 4, reg_max + 1]`.
    pub box_probs: Tensor<4>,
    /// Per-cell box weight (the cell's best class target, 0 without a box target)
    /// `[batch, cells]`.
    pub box_weight: Tensor<2>,
    /// Normaliser of the class loss: soft count of positive cells (sum of best probabilities,
    /// at least 1).
    pub cls_norm: f32,
    /// Normaliser of the box loss: sum of box weights (at least 1e-3).
    pub box_norm: f32,
}

impl BatchTargets {
    /// Stacks per-view targets (each over `cells` cells) into tensors on `device`.
    pub fn new(targets: &[&TrainingTargets], cells: usize, device: &Device) -> Self {
        let b = targets.len();
        let bins = REG_MAX + 1;
        let mut scores = Vec::with_capacity(b * cells * NUM_CLASSES);
        let mut mask = vec![1.0f32; b * cells];
        let mut probs = vec![0.0f32; b * cells * BOX_BINS];
        let mut weight = vec![0.0f32; b * cells];
        let mut cls_norm = 0.0f32;
        for (i, t) in targets.iter().enumerate() {
            scores.extend_from_slice(&t.scores);
            for cell in t.scores.chunks_exact(NUM_CLASSES) {
                cls_norm += cell.iter().copied().fold(0.0, f32::max);
            }
            for &c in &t.ignore {
                mask[i * cells + c as usize] = 0.0;
            }
            for (cell, p) in &t.box_probs {
                let c = *cell as usize;
                weight[i * cells + c] = t.scores[c * NUM_CLASSES..(c + 1) * NUM_CLASSES]
                    .iter()
                    .copied()
                    .fold(0.0, f32::max);
                probs[(i * cells + c) * BOX_BINS..(i * cells + c + 1) * BOX_BINS]
                    .copy_from_slice(p);
            }
        }
        let box_norm = weight.iter().sum::<f32>().max(1e-3);
        Self {
            scores: Tensor::from_data(TensorData::new(scores, [b, cells, NUM_CLASSES]), device),
            cls_mask: Tensor::from_data(TensorData::new(mask, [b, cells, 1]), device),
            box_probs: Tensor::from_data(TensorData::new(probs, [b, cells, 4, bins]), device),
            box_weight: Tensor::from_data(TensorData::new(weight, [b, cells]), device),
            cls_norm: cls_norm.max(1.0),
            box_norm,
        }
    }
}

/// The loss terms of one batch.
#[derive(Debug, Clone)]
pub struct DistillLoss {
    /// `cls + box_weight * box`, scalar tensor (backpropagate this).
    pub total: Tensor<1>,
    /// Class term.
    pub cls: Tensor<1>,
    /// Box term.
    pub boxes: Tensor<1>,
}

/// Computes the distillation loss of student `levels` against `targets`.
pub fn distill_loss(
    levels: &[LevelLogits],
    targets: &BatchTargets,
    box_weight: f32,
) -> DistillLoss {
    let cls = Tensor::cat(levels.iter().map(|l| l.cls.clone()).collect(), 1);
    let reg = Tensor::cat(levels.iter().map(|l| l.reg.clone()).collect(), 1);
    let t = targets.scores.clone();
    let bce = -(t.clone() * log_sigmoid(cls.clone())
        + (t.clone().neg() + 1.0) * log_sigmoid(cls.clone().neg()));
    let focal = (sigmoid(cls) - t).powi_scalar(2).detach();
    let cls_loss = (bce * focal * targets.cls_mask.clone()).sum() / targets.cls_norm;
    let [b, n, _] = reg.dims();
    let logp = log_softmax(reg.reshape([b, n, 4, REG_MAX + 1]), 3);
    let ce = (targets.box_probs.clone() * logp)
        .sum_dim(3)
        .neg()
        .mean_dim(2); // [b, n, 1, 1]
    let box_loss = (ce.reshape([b, n]) * targets.box_weight.clone()).sum() / targets.box_norm;
    DistillLoss {
        total: cls_loss.clone() + box_loss.clone() * box_weight,
        cls: cls_loss,
        boxes: box_loss,
    }
}
