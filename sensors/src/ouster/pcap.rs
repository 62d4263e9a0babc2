//! A reader for classic libpcap capture files (not pcapng) that yields the UDP payloads of
//! IPv4 packets carried over Ethernet (optionally 802.1Q-tagged) or raw IP.
//!
//! IP fragments are not reassembled: they are counted in [`PcapStats::ip_fragments`] and
//! skipped (the Ouster fixture captures, checked, have none: the sensors send jumbo frames).

use crate::{SensorError, Timestamp};
use std::io::Read;

/// One UDP datagram from a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpDatagram {
    /// Capture time (the capturing host's clock), ns since the Unix epoch.
    pub capture_time: Timestamp,
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
    /// UDP payload.
    pub payload: Vec<u8>,
}

/// What the reader saw and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcapStats {
    /// Records read.
    pub records: usize,
    /// UDP datagrams returned.
    pub udp: usize,
    /// Records that are not IPv4/UDP (ARP, IPv6, TCP, ...), skipped.
    pub not_udp: usize,
    /// IPv4 fragments, skipped (no reassembly).
    pub ip_fragments: usize,
    /// Records cut short by the capture's snap length, skipped.
    pub snapped: usize,
}

const MAX_RECORD: usize = 1 << 18;

/// Streaming reader of a classic pcap file.
#[derive(Debug)]
pub struct PcapReader<R> {
    input: R,
    what: String,
    big_endian: bool,
    nanos: bool,
    linktype: u32,
    offset: usize,
    /// Counters so far.
    pub stats: PcapStats,
}

impl<R: Read> PcapReader<R> {
    /// Reads the 24-byte global header; `what` names the capture in errors.
    pub fn new(mut input: R, what: &str) -> Result<Self, SensorError> {
        let mut h = [0u8; 24];
        read_exact(&mut input, &mut h, what, 0)?;
        let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let (big_endian, nanos) = match magic {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            0xd4c3_b2a1 => (true, false),
            0x4d3c_b2a1 => (true, true),
            0x0a0d_0d0a => {
                return Err(SensorError::Unsupported {
                    what: what.into(),
                    reason: "pcapng; convert to classic pcap".into(),
                });
            }
            m => {
                return Err(SensorError::malformed(
                    what,
                    0,
                    format!("not a pcap file (magic {m:#010x})"),
                ));
            }
        };
        let mut r = Self {
            input,
            what: what.into(),
            big_endian,
            nanos,
            linktype: 0,
            offset: 24,
            stats: PcapStats::default(),
        };
        r.linktype = r.u32(&h[20..24]) & 0x0FFF_FFFF;
        if r.linktype != 1 && r.linktype != 101 {
            return Err(SensorError::Unsupported {
                what: what.into(),
                reason: format!(
                    "link type {} (Ethernet 1 and raw IP 101 are read)",
                    r.linktype
                ),
            });
        }
        Ok(r)
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    /// The next UDP datagram, `Ok(None)` at a clean end of file. A record cut off by the end
    /// of the file is a [`SensorError::Truncated`] error.
    pub fn next_datagram(&mut self) -> Result<Option<UdpDatagram>, SensorError> {
        loop {
            let mut h = [0u8; 16];
            let got = read_up_to(&mut self.input, &mut h)
                .map_err(|e| SensorError::malformed(&self.what, self.offset, e.to_string()))?;
            if got == 0 {
                return Ok(None);
            }
            if got < 16 {
                return Err(SensorError::Truncated {
                    what: self.what.clone(),
                    offset: self.offset,
                    needed: 16 - got,
                });
            }
            let (sec, frac, incl, orig) = (
                self.u32(&h[0..4]),
                self.u32(&h[4..8]),
                self.u32(&h[8..12]) as usize,
                self.u32(&h[12..16]) as usize,
            );
            if incl > MAX_RECORD {
                return Err(SensorError::malformed(
                    &self.what,
                    self.offset,
                    format!("record length {incl} > {MAX_RECORD}"),
                ));
            }
            let mut data = vec![0u8; incl];
            read_exact(&mut self.input, &mut data, &self.what, self.offset + 16)?;
            let record_offset = self.offset;
            self.offset += 16 + incl;
            self.stats.records += 1;
            if incl < orig {
                self.stats.snapped += 1;
                continue;
            }
            let ns = u64::from(sec) * 1_000_000_000
                + u64::from(frac) * if self.nanos { 1 } else { 1000 };
            if let Some(d) = self.udp(&data, record_offset)? {
                self.stats.udp += 1;
                return Ok(Some(UdpDatagram {
                    capture_time: Timestamp(ns),
                    ..d
                }));
            }
        }
    }

    fn udp(&mut self, frame: &[u8], offset: usize) -> Result<Option<UdpDatagram>, SensorError> {
        let be16 = |b: &[u8], o: usize| b.get(o..o + 2).map(|s| u16::from_be_bytes([s[0], s[1]]));
        let mut ip_start = 0;
        if self.linktype == 1 {
            ip_start = 14;
            let mut ethertype = be16(frame, 12);
            if ethertype == Some(0x8100) {
                ip_start = 18;
                ethertype = be16(frame, 16);
            }
            if ethertype != Some(0x0800) {
                self.stats.not_udp += 1;
                return Ok(None);
            }
        }
        let ip = &frame[ip_start.min(frame.len())..];
        if ip.len() < 20 || ip[0] >> 4 != 4 {
            self.stats.not_udp += 1;
            return Ok(None);
        }
        let ihl = usize::from(ip[0] & 0x0F) * 4;
        let total = usize::from(be16(ip, 2).unwrap_or(0));
        if ihl < 20 || total < ihl || total > ip.len() {
            return Err(SensorError::malformed(
                &self.what,
                offset + 16 + ip_start,
                format!(
                    "IPv4 header: ihl {ihl}, total length {total}, {} bytes captured",
                    ip.len()
                ),
            ));
        }
        let flags = be16(ip, 6).unwrap_or(0);
        if flags & 0x2000 != 0 || flags & 0x1FFF != 0 {
            self.stats.ip_fragments += 1;
            return Ok(None);
        }
        if ip[9] != 17 {
            self.stats.not_udp += 1;
            return Ok(None);
        }
        let udp = &ip[ihl..total];
        let len = usize::from(be16(udp, 4).unwrap_or(0));
        if udp.len() < 8 || len < 8 || len > udp.len() {
            return Err(SensorError::malformed(
                &self.what,
                offset + 16 + ip_start + ihl,
                format!("UDP length {len}, {} bytes available", udp.len()),
            ));
        }
        Ok(Some(UdpDatagram {
            capture_time: Timestamp(0),
            src_port: be16(udp, 0).unwrap_or(0),
            dst_port: be16(udp, 2).unwrap_or(0),
            payload: udp[8..len].to_vec(),
        }))
    }
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_exact<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    what: &str,
    offset: usize,
) -> Result<(), SensorError> {
    let got =
        read_up_to(r, buf).map_err(|e| SensorError::malformed(what, offset, e.to_string()))?;
    if got < buf.len() {
        return Err(SensorError::Truncated {
            what: what.into(),
            offset,
            needed: buf.len() - got,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ip_flags: u16, ethertype: u16) -> Vec<u8> {
        let payload = [7u8; 4];
        let mut udp = vec![0x1d, 0x4e, 0x1d, 0x4e, 0, 12, 0, 0];
        udp.extend_from_slice(&payload);
        let mut ip = vec![0x45, 0, 0, 32, 0, 1];
        ip.extend_from_slice(&ip_flags.to_be_bytes());
        ip.extend_from_slice(&[64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        ip.extend_from_slice(&udp);
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&ethertype.to_be_bytes());
        frame.extend_from_slice(&ip);
        let mut rec = Vec::new();
        for v in [1u32, 2, frame.len() as u32, frame.len() as u32] {
            rec.extend_from_slice(&v.to_le_bytes());
        }
        rec.extend_from_slice(&frame);
        rec
    }

    #[test]
    fn fragments_and_non_ip_are_counted_and_skipped() {
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&65535u32.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        file.extend(record(0x2000, 0x0800)); // first fragment (more fragments)
        file.extend(record(0x0000, 0x0806)); // ARP
        file.extend(record(0x0000, 0x0800)); // a whole datagram
        let mut r = PcapReader::new(&file[..], "t").unwrap();
        let d = r.next_datagram().unwrap().unwrap();
        assert_eq!((d.dst_port, d.payload.as_slice()), (7502, &[7u8; 4][..]));
        assert_eq!(d.capture_time, Timestamp(1_000_002_000));
        assert!(r.next_datagram().unwrap().is_none());
        assert_eq!(
            (r.stats.records, r.stats.ip_fragments, r.stats.not_udp),
            (3, 1, 1)
        );
    }
}
