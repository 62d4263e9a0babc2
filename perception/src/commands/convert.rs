//! `kestrel convert kitti|nuscenes|ouster-pcap|pandaset <in> <out.mcap>`: turns a dataset folder or a
//! capture into a replayable MCAP log (rosbag2 layout; the rig, when known, is stored in the
//! log's metadata). See `kestrel_log::convert`. Camera frames are written raw (default), PNG or
//! JPEG (`--image-format`), each with its `CameraInfo`.

use kestrel_log::camera_image::{DEFAULT_JPEG_QUALITY, ImageFormat};
use kestrel_log::convert::{
    ConvertOptions, ConvertSummary, kitti_to_mcap, nuscenes_to_mcap, ouster_to_mcap,
    pandaset_to_mcap,
};
use kestrel_log::mcap_writer::CameraFilter;
use kestrel_perception::anonymiser::{Anonymiser, DEFAULT_PERSON_SCORE};
use kestrel_perception::head_coverage::pandaset_head_coverage;
use kestrel_sensors::pandaset::{HELDOUT_FROM, PandasetSequence};
use std::path::PathBuf;

/// Arguments of `kestrel convert`.
#[derive(clap::Args)]
pub struct Args {
    /// The source format.
    #[command(subcommand)]
    pub source: Source,
    /// How camera frames are written: `raw` (sensor_msgs/Image, bit exact), `png`
    /// (CompressedImage, lossless) or `jpeg` (CompressedImage, lossy; see --jpeg-quality).
    #[arg(long, value_enum, default_value_t = ImageFormatArg::Raw, global = true)]
    pub image_format: ImageFormatArg,
    /// JPEG quality 1..=100 for `--image-format jpeg`.
    #[arg(long, default_value_t = DEFAULT_JPEG_QUALITY, value_parser = clap::value_parser!(u8).range(1..=100), global = true)]
    pub jpeg_quality: u8,
    /// Pixelate the heads of the people a detector finds before any image is written (see
    /// `kestrel_perception::anonymiser`); for a PandaSet sequence, also report how many
    /// labelled pedestrians' heads were covered.
    #[arg(long, global = true)]
    pub anonymise: bool,
    /// The person detector of `--anonymise` (default: the teacher,
    /// `models/teachers/nanodet_coco.toml`).
    #[arg(long, value_name = "MANIFEST", global = true)]
    pub anonymise_model: Option<PathBuf>,
    /// Its person score threshold (default: `kestrel_perception::anonymiser::DEFAULT_PERSON_SCORE`).
    #[arg(long, value_name = "SCORE", global = true)]
    pub anonymise_threshold: Option<f32>,
}

/// `--image-format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageFormatArg {
    /// Uncompressed sensor_msgs/Image.
    Raw,
    /// PNG sensor_msgs/CompressedImage.
    Png,
    /// JPEG sensor_msgs/CompressedImage.
    Jpeg,
}

impl Args {
    /// The image format the arguments select.
    pub fn images(&self) -> ImageFormat {
        match self.image_format {
            ImageFormatArg::Raw => ImageFormat::Raw,
            ImageFormatArg::Png => ImageFormat::Png,
            ImageFormatArg::Jpeg => ImageFormat::Jpeg {
                quality: self.jpeg_quality,
            },
        }
    }
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
    /// A PandaSet sequence folder (`sequence.json`, `lidar/`, `camera/`, `cuboids/`): sweeps,
    /// images, ego odometry and the human labels (on `/kestrel/ground_truth/objects`).
    Pandaset {
        /// The sequence folder.
        input: PathBuf,
        /// The MCAP file to write.
        output: PathBuf,
    },
}

/// Runs `kestrel convert`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let anonymiser = if args.anonymise {
        let model = args
            .anonymise_model
            .clone()
            .unwrap_or_else(kestrel_models::zoo::teacher_manifest);
        let threshold = args.anonymise_threshold.unwrap_or(DEFAULT_PERSON_SCORE);
        Some(Anonymiser::load(&model, Some(threshold))?)
    } else {
        None
    };
    let images = || ConvertOptions {
        images: args.images(),
        camera_filter: anonymiser
            .clone()
            .map(|a| Box::new(a) as Box<dyn CameraFilter>),
    };
    let (output, summary) = match &args.source {
        Source::Kitti { input, output } => (output, kitti_to_mcap(input, output, images())?),
        Source::Nuscenes {
            input,
            output,
            radar,
        } => (output, nuscenes_to_mcap(input, radar, output, images())?),
        Source::OusterPcap {
            input,
            output,
            meta,
        } => (output, ouster_to_mcap(input, meta, output)?),
        Source::Pandaset { input, output } => (output, pandaset_to_mcap(input, output, images())?),
    };
    print_summary(output, &summary);
    if let Some(a) = &anonymiser {
        let done = a.done();
        let heads: usize = done.regions.values().map(Vec::len).sum();
        println!(
            "  anonymised: {heads} head regions pixelated in {} images",
            done.regions.len()
        );
        if let Source::Pandaset { input, .. } = &args.source {
            let sequence = PandasetSequence::open(input)?;
            let (tuning, heldout) = pandaset_head_coverage(&sequence, &done, HELDOUT_FROM)?;
            for (name, c) in [
                (format!("frames < {HELDOUT_FROM} (tuning)"), tuning),
                (format!("frames >= {HELDOUT_FROM} (held out)"), heldout),
            ] {
                println!(
                    "  labelled pedestrians' heads covered, {name}: {} of {}{}",
                    c.covered,
                    c.labelled,
                    c.fraction()
                        .map_or_else(String::new, |f| format!(" ({:.0}%)", 100.0 * f))
                );
            }
        }
    }
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
