//! Completing a partially seen LiDAR box with the class's typical size once the camera has
//! named the class: a car seen from behind shows only its rear face, so its box centre would
//! sit on that face. The box grows to the prior's size **away from the sensor**, keeping the
//! visible faces where they were. A box whose short side is already at least `two_faces` of
//! the class's width shows two faces (a corner): its extents are measured, and it is kept as
//! it is (growing a fully seen small vehicle to the class's typical length would swallow the
//! cone standing next to it).

use super::class_priors::ClassPrior;
use kestrel_sensors::OrientedBox3;
use nalgebra::Vector2;

/// Grows `b` (vehicle frame) to at least `prior`'s length and width, away from `viewpoint`
/// (the sensor position, vehicle frame x/y), unless its short side is at least `two_faces`
/// times the prior's width (module docs). If the observed long side is much shorter than the
/// prior's length (only one face seen), the box axis closer to the viewing direction becomes
/// the length axis. Height is kept (it is measured).
pub fn complete_shape(
    b: &OrientedBox3,
    prior: &ClassPrior,
    viewpoint: &Vector2<f64>,
    two_faces: f64,
) -> OrientedBox3 {
    if b.width.min(b.length) >= two_faces * prior.width {
        return *b;
    }
    let centre = Vector2::new(b.center.x, b.center.y);
    let view = (centre - viewpoint)
        .try_normalize(1e-9)
        .unwrap_or(Vector2::x());
    let axis_l = Vector2::new(b.yaw.cos(), b.yaw.sin());
    let axis_w = Vector2::new(-axis_l.y, axis_l.x);
    // (axis, observed extent) for the future length and width axes.
    let keep_axes =
        b.length >= 0.7 * prior.length || axis_l.dot(&view).abs() >= axis_w.dot(&view).abs();
    let (len_axis, len_obs, wid_axis, wid_obs) = if keep_axes {
        (axis_l, b.length, axis_w, b.width)
    } else {
        (axis_w, b.width, axis_l, b.length)
    };
    let mut c = centre;
    let mut grow = |axis: Vector2<f64>, observed: f64, target: f64| {
        let e = observed.max(target);
        let away = if axis.dot(&view) >= 0.0 { 1.0 } else { -1.0 };
        c += axis * (away * (e - observed) / 2.0);
        e
    };
    let length = grow(len_axis, len_obs, prior.length);
    let width = grow(wid_axis, wid_obs, prior.width);
    let mut yaw = len_axis.y.atan2(len_axis.x);
    if yaw > std::f64::consts::FRAC_PI_2 {
        yaw -= std::f64::consts::PI;
    } else if yaw <= -std::f64::consts::FRAC_PI_2 {
        yaw += std::f64::consts::PI;
    }
    OrientedBox3 {
        center: nalgebra::Point3::new(c.x, c.y, b.center.z),
        length,
        width,
        yaw,
        ..*b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::association::class_priors::default_class_priors;
    use kestrel_sensors::ObjectClass;
    use nalgebra::Point3;

    #[test]
    fn rear_face_grows_into_a_car_behind_it() {
        // Rear face of a car 20 m ahead: 1.8 m wide (along y), 0.2 m deep.
        let seen = OrientedBox3 {
            center: Point3::new(20.1, 0.0, 0.75),
            length: 1.8,
            width: 0.2,
            height: 1.5,
            yaw: std::f64::consts::FRAC_PI_2,
        };
        let b = complete_shape(
            &seen,
            default_class_priors().get(ObjectClass::Car),
            &Vector2::zeros(),
            0.7,
        );
        assert!((b.length - 4.5).abs() < 1e-9 && (b.width - 1.8).abs() < 1e-9);
        assert!(
            (b.center.x - 22.25).abs() < 1e-9 && b.center.y.abs() < 1e-9,
            "{b:?}"
        );
        assert!(b.yaw.abs() < 1e-9);
        // A fully seen box is unchanged, and so is a small vehicle seen from a corner.
        let corner = OrientedBox3 {
            length: 2.7,
            width: 1.5,
            ..seen
        };
        assert_eq!(
            complete_shape(
                &corner,
                default_class_priors().get(ObjectClass::Car),
                &Vector2::zeros(),
                0.7
            ),
            corner
        );
        let full = OrientedBox3 {
            length: 4.6,
            width: 1.9,
            ..seen
        };
        assert_eq!(
            complete_shape(
                &full,
                default_class_priors().get(ObjectClass::Car),
                &Vector2::zeros(),
                0.7
            ),
            full
        );
    }
}
