//! The authenticated vehicle network: Kestrel's zenoh session with TLS, mutual authentication
//! and access control by certificate common name (`[zenoh.tls]`, `[zenoh.access]`), against
//! peers with and without the right certificate, on loopback.
//!
//! The certificates are made at test time by `perception/tls/make-certs.sh` (the script the
//! README documents), so the test also checks that what the script makes is what zenoh's TLS
//! accepts. Kestrel's session here is opened from the same settings `kestrel run` uses; it
//! subscribes to an input topic and publishes on its tracked-objects topic, and every peer at
//! once tries both to feed that input and to read that output for the same window. Only the
//! input publisher may feed, only the output subscriber may read; a peer whose certificate is
//! signed by another CA, one with a valid certificate in no role, and one with no certificate
//! can do neither.
//!
//! The second test runs the commands themselves, each with its own configuration file:
//! `kestrel play` (sensor gateway) -> `kestrel run --input ros` (TLS, access control) ->
//! `kestrel echo` (planner) receives every frame's tracked objects, while `kestrel echo` with a
//! valid certificate in no role receives nothing.

mod live_support;

use kestrel_perception::access_control::AccessSettings;
use kestrel_perception::zenoh_session::{TlsSettings, ZenohSettings};
use live_support::{endpoint, looped_nuscenes_log, scratch, spawn, summary_frames};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zenoh::Wait;

/// An input key Kestrel subscribes to (`kestrel run --input ros`, rig sensor `lidar_top`) and
/// the key a sensor driver publishes it on.
const INPUT_SUBSCRIPTION: &str = "0/kestrel/lidar_top/points/*/*";
const INPUT_KEY: &str = "0/kestrel/lidar_top/points/sensor_msgs::msg::dds_::PointCloud2_/RIHS01_x";
/// Kestrel's tracked-objects topic and what a planner subscribes to.
const OUTPUT_KEY: &str = "0/perception/object_recognition/tracking/objects/autoware_perception_msgs::msg::dds_::TrackedObjects_/RIHS01_x";
const OUTPUT_SUBSCRIPTION: &str = "0/perception/object_recognition/tracking/objects/**";

/// Runs the certificate script: `names` signed by the CA in `dir` (made if absent).
fn make_certs(dir: &Path, names: &[&str]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tls/make-certs.sh");
    let status = Command::new("bash")
        .arg(script)
        .arg(dir)
        .args(names)
        .status()
        .expect("bash runs perception/tls/make-certs.sh (needs the openssl command)");
    assert!(status.success(), "make-certs.sh failed");
}

fn tls(ca_dir: &Path, cert_dir: &Path, name: &str) -> TlsSettings {
    let path = |p: PathBuf| p.to_str().unwrap().to_owned();
    TlsSettings {
        root_ca_certificate: path(ca_dir.join("ca.pem")),
        certificate: path(cert_dir.join(format!("{name}.pem"))),
        private_key: path(cert_dir.join(format!("{name}.key"))),
    }
}

/// A peer that dials Kestrel with a certificate.
fn peer(endpoint: &str, tls: TlsSettings) -> zenoh::Session {
    ZenohSettings {
        listen: vec![],
        connect: vec![endpoint.to_owned()],
        tls: Some(tls),
        ..ZenohSettings::default()
    }
    .open()
    .unwrap()
}

/// A peer that dials Kestrel's TLS endpoint trusting its CA but with no certificate of its own.
fn peer_without_certificate(endpoint: &str, ca: &Path) -> zenoh::Session {
    let mut c = zenoh::Config::default();
    for (key, value) in [
        ("mode", "\"peer\"".to_owned()),
        ("scouting/multicast/enabled", "false".into()),
        ("listen/endpoints", "[]".into()),
        ("connect/endpoints", format!("[\"{endpoint}\"]")),
        (
            "transport/link/tls/root_ca_certificate",
            format!("\"{}\"", ca.display()),
        ),
    ] {
        c.insert_json5(key, &value).unwrap();
    }
    zenoh::open(c).wait().unwrap()
}

#[test]
fn only_authorised_peers_feed_inputs_or_read_outputs() {
    let dir = scratch("zenoh-security");
    let pki = dir.join("pki");
    make_certs(&pki, &["kestrel", "sensor-gateway", "planner", "visitor"]);
    // Another CA issuing certificates with the authorised names.
    let rogue = dir.join("rogue");
    make_certs(&rogue, &["sensor-gateway", "planner"]);

    let ep = endpoint().replace("tcp/", "tls/");
    let kestrel = ZenohSettings {
        listen: vec![ep.clone()],
        tls: Some(tls(&pki, &pki, "kestrel")),
        access: Some(AccessSettings {
            input_publishers: vec!["sensor-gateway".into()],
            output_subscribers: vec!["planner".into()],
        }),
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let fed = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let _input = {
        let fed = fed.clone();
        kestrel
            .declare_subscriber(INPUT_SUBSCRIPTION)
            .callback(move |s| {
                let who = String::from_utf8_lossy(&s.payload().to_bytes()).into_owned();
                fed.lock().unwrap().insert(who);
            })
            .wait()
            .unwrap()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let output = kestrel.declare_publisher(OUTPUT_KEY).wait().unwrap();
    let publishing = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                output.put(b"objects".to_vec()).wait().unwrap();
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    let peers: Vec<(&str, zenoh::Session)> = vec![
        (
            "sensor-gateway",
            peer(&ep, tls(&pki, &pki, "sensor-gateway")),
        ),
        ("planner", peer(&ep, tls(&pki, &pki, "planner"))),
        ("visitor", peer(&ep, tls(&pki, &pki, "visitor"))),
        (
            "rogue sensor-gateway",
            peer(&ep, tls(&pki, &rogue, "sensor-gateway")),
        ),
        ("rogue planner", peer(&ep, tls(&pki, &rogue, "planner"))),
        (
            "no certificate",
            peer_without_certificate(&ep, &pki.join("ca.pem")),
        ),
    ];
    let read = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let mut subscribers = Vec::new();
    let mut publishers = Vec::new();
    for (name, session) in &peers {
        let read = read.clone();
        let name = name.to_string();
        subscribers.push(
            session
                .declare_subscriber(OUTPUT_SUBSCRIPTION)
                .callback(move |_| {
                    read.lock().unwrap().insert(name.clone());
                })
                .wait()
                .unwrap(),
        );
        publishers.push(session.declare_publisher(INPUT_KEY).wait().unwrap());
    }
    // Every peer feeds and listens for the same window: long enough for the authorised ones
    // to get through (they do within a second on loopback), then as long again for anything
    // that should not.
    let start = Instant::now();
    let mut authorised_at = None;
    while start.elapsed() < Duration::from_secs(30) {
        for ((name, _), p) in peers.iter().zip(&publishers) {
            p.put(name.as_bytes().to_vec()).wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        let through = fed.lock().unwrap().contains("sensor-gateway")
            && read.lock().unwrap().contains("planner");
        match authorised_at {
            None if through => authorised_at = Some(start.elapsed()),
            Some(t) if start.elapsed() > t * 2 + Duration::from_secs(2) => break,
            _ => {}
        }
    }
    stop.store(true, Ordering::Relaxed);
    publishing.join().unwrap();
    let fed = fed.lock().unwrap().clone();
    let read = read.lock().unwrap().clone();
    assert_eq!(
        fed,
        BTreeSet::from(["sensor-gateway".to_owned()]),
        "only the input publisher feeds Kestrel"
    );
    assert_eq!(
        read,
        BTreeSet::from(["planner".to_owned()]),
        "only the output subscriber reads Kestrel"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A configuration file for a peer named `name` (certificates in `pki`) with `extra` TOML.
fn peer_config(dir: &Path, pki: &Path, name: &str, extra: &str) -> PathBuf {
    let t = tls(pki, pki, name);
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "{extra}\n[zenoh.tls]\nroot_ca_certificate = {:?}\ncertificate = {:?}\n\
             private_key = {:?}\n",
            t.root_ca_certificate, t.certificate, t.private_key
        ),
    )
    .unwrap();
    path
}

#[test]
fn play_run_and_echo_work_over_tls_with_access_control() {
    let dir = scratch("zenoh-security-cli");
    let pki = dir.join("pki");
    make_certs(&pki, &["kestrel", "sensor-gateway", "planner", "visitor"]);
    let log = dir.join("nuscenes-loop.mcap");
    looped_nuscenes_log(&log, 5);
    let ep = endpoint().replace("tcp/", "tls/");
    let kestrel = peer_config(
        &dir,
        &pki,
        "kestrel",
        &format!(
            "[queues]\n\
             camera = {{ policy = \"drop_oldest\", capacity = 64 }}\n\
             lidar = {{ policy = \"drop_oldest\", capacity = 64 }}\n\
             [ros]\nwait_for_subscribers_s = 60.0\n\
             [zenoh]\nlisten = [\"{ep}\"]\n\
             [zenoh.access]\ninput_publishers = [\"sensor-gateway\"]\n\
             output_subscribers = [\"planner\"]\n"
        ),
    );
    // The peers' files need no `listen = []`: play and echo only dial out.
    let peer_of = |name: &str| peer_config(&dir, &pki, name, "");
    let (gateway, planner, visitor) = (
        peer_of("sensor-gateway"),
        peer_of("planner"),
        peer_of("visitor"),
    );
    let arg = |p: &Path| p.to_str().unwrap().to_owned();

    let run = spawn(&[
        "run",
        "--input",
        "ros",
        "--config",
        &arg(&kestrel),
        "--max-idle",
        "4",
    ]);
    let echo = |config: &Path, timeout: &str| {
        spawn(&[
            "echo",
            "--config",
            &arg(config),
            "--connect",
            &ep,
            "--json",
            "--count",
            "5",
            "--timeout",
            timeout,
        ])
    };
    let planner_echo = echo(&planner, "120");
    let visitor_echo = echo(&visitor, "30");
    let (ok, play_out, err) = spawn(&[
        "play",
        &arg(&log),
        "--config",
        &arg(&gateway),
        "--connect",
        &ep,
        "--rate",
        "0.25",
        "--wait-for-subscribers",
        "60",
    ])
    .wait(Duration::from_secs(180));
    assert!(ok, "{err}");
    assert!(play_out.contains("published 65 messages"), "{play_out}");
    let (ok, run_out, run_err) = run.wait(Duration::from_secs(180));
    assert!(ok, "{run_err}");
    assert_eq!(summary_frames(&run_out), 5, "{run_out}");
    let (ok, planner_out, planner_err) = planner_echo.wait(Duration::from_secs(60));
    assert!(ok, "{planner_err}");
    assert!(
        planner_err.contains("kestrel echo: 5 messages"),
        "{planner_err}"
    );
    assert!(
        !planner_out.is_empty(),
        "the planner receives tracked objects"
    );
    let (ok, visitor_out, visitor_err) = visitor_echo.wait(Duration::from_secs(120));
    assert!(ok, "{visitor_err}");
    assert!(
        visitor_err.contains("kestrel echo: 0 messages"),
        "{visitor_err}"
    );
    assert!(visitor_out.is_empty(), "{visitor_out}");
    std::fs::remove_dir_all(&dir).ok();
}
