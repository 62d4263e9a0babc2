//! Extended Kalman filter algebra over a fixed-size state: prediction with a linearised
//! transition, innovation (with its covariance `S = H P H' + R`), and the Joseph-form update.
//!
//! The motion models ([`super::motion_model`]) supply the predicted mean, the Jacobians and the
//! noise; this module holds only the model-independent algebra.

use nalgebra::{SMatrix, SVector};

/// An angular state component: its index and the wrap that maps a difference of two angles
/// to its principal range (e.g. `[-pi, pi)`).
pub type AngleComponent = (usize, fn(f64) -> f64);

/// A Gaussian belief over an `N`-dimensional state: mean and covariance (units per state).
#[derive(Debug, Clone, PartialEq)]
pub struct Gaussian<const N: usize> {
    /// State mean.
    pub mean: SVector<f64, N>,
    /// State covariance (symmetric, positive definite).
    pub covariance: SMatrix<f64, N, N>,
}

/// The innovation of one measurement against a predicted state.
#[derive(Debug, Clone, PartialEq)]
pub struct Innovation<const M: usize> {
    /// Measurement minus predicted measurement (angles already wrapped by the caller).
    pub residual: SVector<f64, M>,
    /// Innovation covariance `S = H P H' + R`.
    pub covariance: SMatrix<f64, M, M>,
    /// `S^-1`.
    pub covariance_inverse: SMatrix<f64, M, M>,
    /// `ln det S`.
    pub ln_det: f64,
}

impl<const M: usize> Innovation<M> {
    /// Squared Mahalanobis distance `y' S^-1 y` (chi-square distributed with `M` degrees of
    /// freedom when the filter is consistent).
    pub fn mahalanobis_sq(&self) -> f64 {
        (self.residual.transpose() * self.covariance_inverse * self.residual)[(0, 0)]
    }

    /// Gaussian density of the residual, `N(y; 0, S)`, in the measurement's units^-M.
    pub fn likelihood(&self) -> f64 {
        let ln_norm = 0.5 * (M as f64 * (2.0 * std::f64::consts::PI).ln() + self.ln_det);
        (-0.5 * self.mahalanobis_sq() - ln_norm).exp()
    }

    /// Negative log-likelihood `0.5 (d^2 + ln det S)` without the constant: the association
    /// cost of this pairing.
    pub fn association_cost(&self) -> f64 {
        0.5 * (self.mahalanobis_sq() + self.ln_det)
    }
}

impl<const N: usize> Gaussian<N> {
    /// Replaces the mean by `predicted_mean` and the covariance by `F P F' + Q`.
    pub fn predict(
        &mut self,
        predicted_mean: SVector<f64, N>,
        jacobian: &SMatrix<f64, N, N>,
        process_noise: &SMatrix<f64, N, N>,
    ) {
        self.mean = predicted_mean;
        self.covariance = jacobian * self.covariance * jacobian.transpose() + process_noise;
        self.symmetrize();
    }

    /// Applies a change of coordinates with value `mean` and Jacobian `jacobian`
    /// (`P <- J P J'`), e.g. the ego-motion frame change.
    pub fn transform(&mut self, mean: SVector<f64, N>, jacobian: &SMatrix<f64, N, N>) {
        self.mean = mean;
        self.covariance = jacobian * self.covariance * jacobian.transpose();
        self.symmetrize();
    }

    /// The innovation of a measurement with residual `residual`, measurement Jacobian `h` and
    /// noise `r`; `None` when `S` is not positive definite (non-finite input).
    pub fn innovation<const M: usize>(
        &self,
        residual: SVector<f64, M>,
        h: &SMatrix<f64, M, N>,
        r: &SMatrix<f64, M, M>,
    ) -> Option<Innovation<M>> {
        let s = h * self.covariance * h.transpose() + r;
        let s = (s + s.transpose()) * 0.5;
        let chol = s.cholesky()?;
        let ln_det = chol.ln_determinant();
        if !ln_det.is_finite() || !residual.iter().all(|v| v.is_finite()) {
            return None;
        }
        Some(Innovation {
            residual,
            covariance: s,
            covariance_inverse: chol.inverse(),
            ln_det,
        })
    }

    /// Kalman update with a precomputed innovation (Joseph form, stays symmetric positive
    /// definite). The caller wraps angular state components afterwards.
    pub fn update<const M: usize>(
        &mut self,
        innovation: &Innovation<M>,
        h: &SMatrix<f64, M, N>,
        r: &SMatrix<f64, M, M>,
    ) {
        let gain = self.covariance * h.transpose() * innovation.covariance_inverse;
        self.mean += gain * innovation.residual;
        let i_kh = SMatrix::<f64, N, N>::identity() - gain * h;
        self.covariance = i_kh * self.covariance * i_kh.transpose() + gain * r * gain.transpose();
        self.symmetrize();
    }

    /// The moment-matched Gaussian of the mixture `sum_i weights[i] N(components[i])`
    /// (weights summing to 1): mean `sum w_i x_i`, covariance `sum w_i (P_i + d_i d_i')` with
    /// `d_i = x_i - mean`. State component `angle`, if any, is an angle in radians: it is
    /// averaged and differenced through `wrap` (e.g. to `[-pi, pi)`) relative to the first
    /// component, and the mean's angle is wrapped.
    pub fn mixture(
        components: &[&Gaussian<N>],
        weights: &[f64],
        angle: Option<AngleComponent>,
    ) -> Gaussian<N> {
        let reference = components[0].mean;
        let offset = |x: &SVector<f64, N>| {
            let mut d = x - reference;
            if let Some((k, wrap)) = angle {
                d[k] = wrap(d[k]);
            }
            d
        };
        let mut shift = SVector::<f64, N>::zeros();
        for (g, w) in components.iter().zip(weights) {
            shift += offset(&g.mean) * *w;
        }
        let mut covariance = SMatrix::<f64, N, N>::zeros();
        for (g, w) in components.iter().zip(weights) {
            let d = offset(&g.mean) - shift;
            covariance += (g.covariance + d * d.transpose()) * *w;
        }
        let mut mean = reference + shift;
        if let Some((k, wrap)) = angle {
            mean[k] = wrap(mean[k]);
        }
        let mut mixed = Gaussian { mean, covariance };
        mixed.symmetrize();
        mixed
    }

    fn symmetrize(&mut self) {
        self.covariance = (self.covariance + self.covariance.transpose()) * 0.5;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Matrix1, Matrix1x2, Matrix2, Vector1, Vector2};

    #[test]
    fn scalar_update_matches_the_closed_form() {
        // State [position, velocity], measure position: K = P H' / (H P H' + R).
        let mut g = Gaussian {
            mean: Vector2::new(1.0, 2.0),
            covariance: Matrix2::new(4.0, 1.0, 1.0, 2.0),
        };
        let h = Matrix1x2::new(1.0, 0.0);
        let r = Matrix1::new(1.0);
        let inn = g.innovation(Vector1::new(3.0 - 1.0), &h, &r).unwrap();
        assert!((inn.covariance[(0, 0)] - 5.0).abs() < 1e-12);
        assert!((inn.mahalanobis_sq() - 4.0 / 5.0).abs() < 1e-12);
        let expected_density = (-0.4f64).exp() / (2.0 * std::f64::consts::PI * 5.0).sqrt();
        assert!((inn.likelihood() - expected_density).abs() < 1e-12);
        g.update(&inn, &h, &r);
        // K = [4/5, 1/5]; mean += K * 2; P = (I - K H) P (Joseph form gives the same).
        assert!((g.mean - Vector2::new(1.0 + 1.6, 2.0 + 0.4)).norm() < 1e-12);
        let p = Matrix2::new(
            4.0 - 16.0 / 5.0,
            1.0 - 4.0 / 5.0,
            1.0 - 4.0 / 5.0,
            2.0 - 1.0 / 5.0,
        );
        assert!((g.covariance - p).norm() < 1e-12);
    }

    #[test]
    fn mixture_matches_the_first_two_moments() {
        // Two 1-D components: N(0, 1) and N(4, 2) with weights 0.75 / 0.25: mean 1, variance
        // 0.75 (1 + 1) + 0.25 (2 + 9) = 4.25.
        let a = Gaussian {
            mean: Vector1::new(0.0),
            covariance: Matrix1::new(1.0),
        };
        let b = Gaussian {
            mean: Vector1::new(4.0),
            covariance: Matrix1::new(2.0),
        };
        let m = Gaussian::mixture(&[&a, &b], &[0.75, 0.25], None);
        assert!((m.mean[0] - 1.0).abs() < 1e-12);
        assert!((m.covariance[(0, 0)] - 4.25).abs() < 1e-12);
        // Angles either side of +-pi average across the cut, not through zero.
        let wrap = |x: f64| {
            (x + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI
        };
        let (p, q) = (
            Gaussian {
                mean: Vector1::new(3.1),
                covariance: Matrix1::new(0.01),
            },
            Gaussian {
                mean: Vector1::new(-3.1),
                covariance: Matrix1::new(0.01),
            },
        );
        let m = Gaussian::mixture(&[&p, &q], &[0.5, 0.5], Some((0, wrap)));
        assert!(m.mean[0].abs() > 3.1, "{}", m.mean[0]);
        assert!(
            m.covariance[(0, 0)] < 0.01 + 0.01,
            "{}",
            m.covariance[(0, 0)]
        );
    }

    #[test]
    fn non_positive_definite_innovation_is_refused() {
        let g = Gaussian {
            mean: Vector2::zeros(),
            covariance: Matrix2::zeros(),
        };
        let h = Matrix1x2::new(1.0, 0.0);
        assert!(
            g.innovation(Vector1::new(1.0), &h, &Matrix1::new(0.0))
                .is_none()
        );
        assert!(
            g.innovation(Vector1::new(f64::NAN), &h, &Matrix1::new(1.0))
                .is_none()
        );
    }
}
