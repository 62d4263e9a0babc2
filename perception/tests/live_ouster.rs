//! Live Ouster LiDAR: a shipped capture's lidar datagrams, sent to a loopback UDP port at
//! their recorded pace, give exactly the point clouds that reading the pcap file gives.

use kestrel_perception::live_input::LiveControl;
use kestrel_perception::ouster_input::OusterUdpStream;
use kestrel_sensors::SensorMessage;
use kestrel_sensors::ouster::metadata::OusterMetadata;
use kestrel_sensors::ouster::pcap::PcapReader;
use kestrel_sensors::ouster::read_pcap;
use kestrel_sensors::ouster::xyz::XyzLut;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[test]
fn udp_stream_gives_the_pcap_clouds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/ouster");
    let pcap = dir.join("OS-1-128_v2.3.0_1024x10_lb_n3.pcap");
    let meta = OusterMetadata::load(&dir.join("OS-1-128_v2.3.0_1024x10.json")).unwrap();
    let lut = XyzLut::new(&meta);
    let expected: Vec<_> = read_pcap(&pcap, &meta)
        .unwrap()
        .frames
        .iter()
        .map(|f| f.to_point_cloud(&lut, "ouster").cloud)
        .collect();
    assert_eq!(expected.len(), 3);

    let stop = Arc::new(AtomicBool::new(false));
    let control = LiveControl::new(stop.clone(), None);
    let stream =
        OusterUdpStream::bind("127.0.0.1:0".parse().unwrap(), &meta, "ouster", control).unwrap();
    let target = stream.local_addr().unwrap();
    let receiver = std::thread::spawn(move || stream.collect::<Vec<_>>());

    // The sensor: every lidar datagram of the capture, at its recorded pace.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let file = std::fs::File::open(&pcap).unwrap();
    let mut reader = PcapReader::new(std::io::BufReader::new(file), "capture").unwrap();
    let (start, mut first) = (Instant::now(), None);
    let mut sent = 0;
    while let Some(d) = reader.next_datagram().unwrap() {
        if d.dst_port != meta.udp_port_lidar {
            continue;
        }
        let t0 = *first.get_or_insert(d.capture_time);
        let due = Duration::from_nanos(d.capture_time.0.saturating_sub(t0.0));
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        socket.send_to(&d.payload, target).unwrap();
        sent += 1;
        // Loopback drops datagrams only when the receive buffer overflows; the recorded pace
        // (about one datagram per 0.8 ms) keeps it far from full.
    }
    assert!(sent > 100, "{sent} datagrams");
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    let got: Vec<_> = receiver
        .join()
        .unwrap()
        .into_iter()
        .map(|m| match m.unwrap() {
            SensorMessage::Lidar(c) => c,
            other => panic!("not a cloud: {other:?}"),
        })
        .collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert!(g.len() > 10_000, "{} points", g.len());
        assert_eq!(g, e, "live cloud differs from the pcap's");
    }
}
