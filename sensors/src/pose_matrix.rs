//! Turning calibration matrices from datasets into rigid transforms.

use crate::SensorError;
use nalgebra::{Isometry3, Matrix3, Matrix4, Rotation3, Translation3, UnitQuaternion, Vector3};

/// Largest deviation from orthonormality (`max |RᵀR - I|`) accepted for a rotation read from
/// a file. Dataset matrices are printed with 7-8 significant digits, so they are orthonormal to
/// about 1e-6; anything beyond 1e-3 is not a rotation.
pub const MAX_ROTATION_ERROR: f64 = 1e-3;

/// Builds a rigid transform `p -> r * p + t` from a rotation matrix and a translation
/// (metres), projecting `r` onto the nearest rotation. `what` names the matrix in errors.
///
/// Fails with [`SensorError::Malformed`] when a value is not finite, `r` is not orthonormal
/// within [`MAX_ROTATION_ERROR`], or `r` is a reflection.
pub fn isometry_from_rt(
    r: &Matrix3<f64>,
    t: &Vector3<f64>,
    what: &str,
) -> Result<Isometry3<f64>, SensorError> {
    if r.iter().chain(t.iter()).any(|v| !v.is_finite()) {
        return Err(SensorError::malformed(
            what,
            0,
            "matrix has a non-finite value",
        ));
    }
    let err = (r.transpose() * r - Matrix3::identity()).abs().max();
    if err.is_nan() || err > MAX_ROTATION_ERROR || r.determinant() <= 0.0 {
        return Err(SensorError::malformed(
            what,
            0,
            format!(
                "not a rotation (orthonormality error {err:.2e}, det {:.3})",
                r.determinant()
            ),
        ));
    }
    let rot = Rotation3::from_matrix_eps(r, 1e-12, 100, Rotation3::identity());
    Ok(Isometry3::from_parts(
        Translation3::from(*t),
        UnitQuaternion::from_rotation_matrix(&rot),
    ))
}

/// [`isometry_from_rt`] for a homogeneous 4x4 matrix (last row must be `0 0 0 1`).
pub fn isometry_from_homogeneous(
    m: &Matrix4<f64>,
    what: &str,
) -> Result<Isometry3<f64>, SensorError> {
    let last = m.row(3);
    if (last[0].abs() + last[1].abs() + last[2].abs() + (last[3] - 1.0).abs()) > 1e-6 {
        return Err(SensorError::malformed(
            what,
            0,
            "last row of a pose matrix must be 0 0 0 1",
        ));
    }
    isometry_from_rt(
        &m.fixed_view::<3, 3>(0, 0).into_owned(),
        &m.fixed_view::<3, 1>(0, 3).into_owned(),
        what,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_rotations() {
        let t = Vector3::zeros();
        assert!(isometry_from_rt(&Matrix3::identity(), &t, "m").is_ok());
        assert!(isometry_from_rt(&(Matrix3::identity() * 2.0), &t, "m").is_err());
        assert!(
            isometry_from_rt(
                &Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, -1.0)),
                &t,
                "m"
            )
            .is_err()
        );
        let mut nan = Matrix3::identity();
        nan[(0, 1)] = f64::NAN;
        assert!(isometry_from_rt(&nan, &t, "m").is_err());
    }
}
