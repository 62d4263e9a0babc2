//! `kestrel convert kitti|nuscenes|ouster-pcap <in> <out.mcap>`: turns a dataset folder or a
//! capture into a replayable MCAP log (rosbag2 layout; the rig, when known, is stored in the
//! log's metadata). See `kestrel_log::convert`.

use kestrel_log::convert::{ConvertSummary, kitti_to_mcap, nuscenes_to_mcap, ouster_to_mcap};
use std::path::PathBuf;

/// Arguments of `kestrel convert`.
#[derive(clap::Args)]
pub struct Args {
    /// The source format.
    #[command(subcommand)]
    pub source: Source,
}

/// What to convert.
#[derive(clap::Subcommand)]
pub enum Source {
    /// A KITTI object root (`velodyne/`, `image_2/`, `calib/`); frame k is stamped k * 100 ms.
    Kitti {
        /// The KITTI object root.
        input: PathBuf,
        /// The MCAP file to write.
        output: PathBuf,
    },
    /// A nuScenes keyframe folder (`info.json`, LIDAR_TOP `.pcd.bin`, camera JPEGs).
    Nuscenes {
        /// The keyframe folder.
        input: PathBuf,
        /// The MCAP file to write.
        output: PathBuf,
        /// nuScenes radar PCD files to add (sensor and time from the file name).
        #[arg(long)]
        radar: Vec<PathBuf>,
    },
    /// An Ouster UDP capture (pcap) with its sensor metadata JSON.
    OusterPcap {
        /// The pcap file.
        input: PathBuf,
        /// The MCAP file to write.
        output: PathBuf,
        /// The sensor metadata JSON.
        #[arg(long)]
        meta: PathBuf,
    },
}

/// Runs `kestrel convert`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (output, summary) = match &args.source {
        Source::Kitti { input, output } => (output, kitti_to_mcap(input, output)?),
        Source::Nuscenes {
            input,
            output,
            radar,
        } => (output, nuscenes_to_mcap(input, radar, output)?),
        Source::OusterPcap {
            input,
            output,
            meta,
        } => (output, ouster_to_mcap(input, meta, output)?),
    };
    print_summary(output, &summary);
    Ok(())
}

fn print_summary(output: &std::path::Path, summary: &ConvertSummary) {
    let total: u64 = summary.messages_per_topic.values().sum();
    println!("{}: {total} messages", output.display());
    for (topic, n) in &summary.messages_per_topic {
        println!("  {topic:<40} {n}");
    }
    if summary.skipped_points > 0 {
        println!("  skipped points/detections: {}", summary.skipped_points);
    }
    for note in &summary.notes {
        println!("  note: {note}");
    }
}
