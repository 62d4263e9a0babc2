//! The `header.stamp` at the start of a CDR message whose type begins with a
//! `std_msgs/Header` (every sensor message type), read and shifted in place without decoding
//! the rest: how a player re-stamps recorded messages and a fault injector makes a clock jump.

use kestrel_sensors::Timestamp;

/// The encapsulation (4 bytes) and `sec`/`nanosec` (4 + 4) at the start of the message.
const STAMP_END: usize = 12;

/// `(sec, nanosec, little_endian)` of the stamp, if the bytes hold a plain CDR header.
fn fields(cdr: &[u8]) -> Option<(i32, u32, bool)> {
    if cdr.len() < STAMP_END || cdr[0] != 0 || cdr[1] > 1 {
        return None;
    }
    let le = cdr[1] == 1;
    let sec: [u8; 4] = cdr[4..8].try_into().ok()?;
    let nsec: [u8; 4] = cdr[8..12].try_into().ok()?;
    Some(if le {
        (i32::from_le_bytes(sec), u32::from_le_bytes(nsec), true)
    } else {
        (i32::from_be_bytes(sec), u32::from_be_bytes(nsec), false)
    })
}

/// The stamp of the message, if the bytes hold a plain CDR header with a non-negative time.
pub fn read(cdr: &[u8]) -> Option<Timestamp> {
    let (sec, nsec, _) = fields(cdr)?;
    let t = sec as i128 * 1_000_000_000 + nsec as i128;
    u64::try_from(t).ok().map(Timestamp)
}

/// Shifts the stamp by `shift_ns`. Leaves messages it cannot read (too short, unknown
/// encapsulation, out-of-range result) unchanged.
pub fn shift(cdr: &mut [u8], shift_ns: i128) {
    if shift_ns == 0 {
        return;
    }
    let Some((sec, nsec, le)) = fields(cdr) else {
        return;
    };
    let t = sec as i128 * 1_000_000_000 + nsec as i128 + shift_ns;
    let (Ok(sec), Ok(nsec)) = (
        i32::try_from(t.div_euclid(1_000_000_000)),
        u32::try_from(t.rem_euclid(1_000_000_000)),
    ) else {
        return;
    };
    let (s, n) = if le {
        (sec.to_le_bytes(), nsec.to_le_bytes())
    } else {
        (sec.to_be_bytes(), nsec.to_be_bytes())
    };
    cdr[4..8].copy_from_slice(&s);
    cdr[8..12].copy_from_slice(&n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ros2_msg::RosMessage;
    use crate::ros2_msg::std_msgs::Header;

    #[test]
    fn stamps_read_and_shift_in_place_both_endiannesses() {
        let msg = Header::new(Timestamp(5_900_000_000), "lidar");
        let mut cdr = msg.to_cdr().unwrap();
        assert_eq!(read(&cdr), Some(Timestamp(5_900_000_000)));
        shift(&mut cdr, 200_000_000);
        let back = Header::from_cdr(&cdr).unwrap();
        assert_eq!(back.stamp.to_timestamp(), Timestamp(6_100_000_000));
        assert_eq!(back.frame_id, "lidar");
        shift(&mut cdr, -6_100_000_000);
        assert_eq!(
            Header::from_cdr(&cdr).unwrap().stamp.to_timestamp(),
            Timestamp(0)
        );
        // Big-endian encapsulation: sec 1, nanosec 2.
        let mut be = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        assert_eq!(read(&be), Some(Timestamp(1_000_000_002)));
        shift(&mut be, 1_000_000_000);
        assert_eq!(&be[4..12], &[0, 0, 0, 2, 0, 0, 0, 2]);
        let mut short = vec![0, 1, 0, 0, 1];
        shift(&mut short, 5);
        assert_eq!(short, vec![0, 1, 0, 0, 1]);
        assert_eq!(read(&short), None);
    }
}
