//! Thin glue to `media-decode`: decode an upload (photo, H.264 video or ZIP shot set) with the
//! engine's pixel limit, sample frames evenly, analyse them.

use media_decode::{Frame, Limits, Sampling};

use crate::engine::{AnalyzeOptions, AsFrame, Engine, FrameDepth, MediaAnalysis};
use crate::error::{EngineError, Result};
use crate::gesture::{Gesture, GestureConfig};

/// Frames analysed from a video or shot set by default. 8 evenly spread frames give the same
/// live/replay decisions as 16 on the development clips at about half the cost (3 s 720p video
/// on one core: 0.63–0.87 s against 1.07–1.31 s; see the bench).
pub const DEFAULT_FRAMES: usize = 8;

impl AsFrame for Frame {
    fn image(&self) -> &image::RgbImage {
        &self.image
    }
    fn frame_index(&self, _position: usize) -> usize {
        self.index as usize
    }
}

/// Decode limits derived from the engine's configuration.
pub fn limits(engine: &Engine) -> Limits {
    Limits {
        max_pixels: engine.config().max_pixels,
        ..Limits::default()
    }
}

/// Decodes `bytes` (at most `frames` frames, evenly spread) and analyses them with
/// [`Engine::analyze_frames`].
pub fn analyze_media_bytes_with(
    engine: &Engine,
    bytes: &[u8],
    frames: usize,
) -> Result<MediaAnalysis> {
    let decoded = media_decode::decode(bytes, &limits(engine), Sampling::Evenly(frames.max(1)))
        .map_err(|e| EngineError::Decode(e.to_string()))?;
    engine.analyze_frames(&decoded.frames)
}

/// [`analyze_media_bytes_with`] with [`DEFAULT_FRAMES`] frames.
pub fn analyze_media_bytes(engine: &Engine, bytes: &[u8]) -> Result<MediaAnalysis> {
    analyze_media_bytes_with(engine, bytes, DEFAULT_FRAMES)
}

/// Frames to sample from a media checked for `gesture` (`None`: passive liveness), given its
/// duration: [`DEFAULT_FRAMES`], or for a blink about [`GestureConfig::blink_fps`] frames per
/// second (at most [`GestureConfig::max_frames`]).
pub fn frames_for(
    gesture: Option<Gesture>,
    duration_ms: Option<u64>,
    cfg: &GestureConfig,
) -> usize {
    gesture.map_or(DEFAULT_FRAMES, |g| {
        g.frames_for(duration_ms, DEFAULT_FRAMES, cfg)
    })
}

/// Analyses `frames` (sampled for a gesture) for what `wanted` asks: [`DEFAULT_FRAMES`] of them,
/// evenly spread, fully (spoof score, pose, quality), the others for eyes and mouth only ([`FrameDepth::Eyes`], in the
/// face box interpolated between the full frames around them), so denser sampling for a blink
/// costs about a twentieth of a full frame per extra frame, plus its decoding.
pub fn analyze_sampled<F: AsFrame + Sync>(
    engine: &Engine,
    frames: &[F],
    wanted: &AnalyzeOptions,
) -> Result<MediaAnalysis> {
    let full = full_positions(frames.len(), DEFAULT_FRAMES);
    engine.analyze_frames_with(frames, wanted, |pos| {
        if full.binary_search(&pos).is_ok() {
            FrameDepth::Full
        } else {
            FrameDepth::Eyes
        }
    })
}

/// Positions (ascending) of `n` evenly spread items of `0..total`, first and last included.
fn full_positions(total: usize, n: usize) -> Vec<usize> {
    if total <= n {
        return (0..total).collect();
    }
    let mut p: Vec<usize> = (0..n).map(|i| i * (total - 1) / (n - 1).max(1)).collect();
    p.dedup();
    p
}

/// Decodes `bytes` with the sampling `gesture` needs ([`frames_for`]; the duration comes from a
/// cheap probe) and analyses the frames for what `wanted` asks with [`analyze_sampled`]. Returns
/// the decoded frames too (for the best shot).
pub fn analyze_for_gesture(
    engine: &Engine,
    bytes: &[u8],
    gesture: Option<Gesture>,
    cfg: &GestureConfig,
    wanted: &AnalyzeOptions,
) -> Result<(media_decode::Decoded, MediaAnalysis)> {
    let limits = limits(engine);
    let n = match gesture {
        Some(Gesture::Blink) => {
            let info = media_decode::probe(bytes, &limits)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
            frames_for(gesture, info.duration_ms, cfg)
        }
        _ => DEFAULT_FRAMES,
    };
    let decoded = media_decode::decode(bytes, &limits, Sampling::Evenly(n.max(1)))
        .map_err(|e| EngineError::Decode(e.to_string()))?;
    let analysis = analyze_sampled(engine, &decoded.frames, wanted)?;
    Ok((decoded, analysis))
}

/// The multi-signal PAD ([`crate::pad`]) of a media analysed by [`analyze_for_gesture`], on its
/// evenly spread full frames only: PAD was fitted on those, and a blink check's extra eyes-only
/// frames carry no spoof score.
pub fn pad_of(
    decoded: &media_decode::Decoded,
    media: &MediaAnalysis,
    cfg: &crate::pad::PadConfig,
) -> crate::pad::PadAssessment {
    let full = full_positions(decoded.frames.len(), DEFAULT_FRAMES);
    let (images, analyses): (Vec<&image::RgbImage>, Vec<&crate::FrameAnalysis>) = full
        .iter()
        .filter_map(|&i| Some((&decoded.frames.get(i)?.image, &media.frames.get(i)?.1)))
        .unzip();
    crate::pad::assess(&images, &analyses, &[], decoded.quantiser, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_frames_spread_evenly_over_dense_samples() {
        assert_eq!(full_positions(24, 8), vec![0, 3, 6, 9, 13, 16, 19, 23]);
        assert_eq!(full_positions(5, 8), vec![0, 1, 2, 3, 4]);
        let cfg = GestureConfig::default();
        assert_eq!(frames_for(None, Some(3000), &cfg), DEFAULT_FRAMES);
        assert_eq!(
            frames_for(Some(Gesture::Left), Some(3000), &cfg),
            DEFAULT_FRAMES
        );
        assert_eq!(frames_for(Some(Gesture::Blink), Some(3000), &cfg), 24);
        assert_eq!(
            frames_for(Some(Gesture::Blink), Some(500), &cfg),
            DEFAULT_FRAMES
        );
        assert_eq!(frames_for(Some(Gesture::Blink), Some(60_000), &cfg), 48);
        assert_eq!(frames_for(Some(Gesture::Blink), None, &cfg), DEFAULT_FRAMES);
    }
}
