//! PAD evaluation table: single-frame baseline vs fused multi-signal decision.
//!
//! `cargo run -p face-engine --release --example pad_eval -- [--data DIR] [--json] [--cases]`
//! (`--data` defaults to `$OZ_SHARED_DATA` or `../shared/data`; `--cases` adds one line of
//! signal values per presentation).

use std::path::PathBuf;

use clap::Parser;
use face_engine::Engine;
use face_engine::pad::PadConfig;
use face_engine::pad_eval::evaluate_pad_fusion;

#[derive(Parser)]
struct Args {
    /// Data folder.
    #[arg(long, env = "OZ_SHARED_DATA")]
    data: Option<PathBuf>,
    /// Full report as JSON.
    #[arg(long)]
    json: bool,
    /// One line of signal values per presentation.
    #[arg(long)]
    cases: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = args.data.unwrap_or_else(|| repo.join("../shared/data"));
    let engine = Engine::load(&repo.join("models"))?;
    let t = std::time::Instant::now();
    let Some(report) = evaluate_pad_fusion(&engine, &data, &PadConfig::default())? else {
        println!("no PAD data under {}", data.display());
        return Ok(());
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if args.cases {
        for c in &report.cases {
            let p = c.fused.parallax.as_ref();
            let m = c.fused.non_rigid_motion.as_ref();
            let sc = c.fused.screen.as_ref();
            println!(
                "{:<5} {:<70} {:<28} cnn {:>6} ratio {:>6} def {:>5} hres {:>6} pairs {:>2} lm {:>6} | moire {:>5} framed {:>4} str {:>4} sat {:>5} | blink {:?} mouth {:>5} brow {:>5} | fused {:.3} {:?} | qp {}",
                c.split,
                c.name,
                c.attack_type.as_deref().unwrap_or("bona fide"),
                c.baseline.map_or("-".into(), |v| format!("{v:.3}")),
                p.and_then(|p| p.ratio)
                    .map_or("-".into(), |v| format!("{v:.3}")),
                p.map_or("-".into(), |p| format!("{:.3}", p.max_deformation)),
                p.map_or("-".into(), |p| format!(
                    "{:.2}px",
                    p.median_homography_residual_px
                )),
                p.map_or(0, |p| p.pairs_used),
                c.fused
                    .landmark_parallax
                    .as_ref()
                    .and_then(|p| p.ratio)
                    .map_or("-".into(), |v| format!("{v:.3}")),
                sc.map_or("-".into(), |s| format!("{:.2}", s.moire)),
                sc.map_or("-".into(), |s| format!("{:.2}", s.framed_frames)),
                sc.map_or("-".into(), |s| format!(
                    "{:.2}",
                    s.per_frame
                        .iter()
                        .map(|f| f.framing_strength)
                        .fold(0.0, f32::max)
                )),
                sc.map_or("-".into(), |s| format!("{:.3}", s.saturation_std)),
                m.map(|m| m.blink),
                m.map_or("-".into(), |m| format!("{:.3}", m.mouth_range)),
                m.map_or("-".into(), |m| format!("{:.3}", m.brow_range)),
                c.fused.confidence_spoofing,
                c.fused.decision,
                c.fused.capture.map_or("-".into(), |q| format!(
                    "{} face {:.0} px{}",
                    q.quantiser.map_or("-".into(), |v| format!("{v:.1}")),
                    q.face_px,
                    if q.passed { "" } else { " REFUSED" }
                )),
            );
        }
    }
    print!("{}", report.to_table());
    eprintln!("({:.1} s)", t.elapsed().as_secs_f64());
    Ok(())
}
