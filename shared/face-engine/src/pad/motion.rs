//! Non-rigid facial motion over the sampled frames: blinks (`fr_eye`), mouth opening and brow
//! raise from the landmarks. A print, a cut-out or a rigid mask shows none; a live face usually
//! shows some within a few seconds — but eight frames over three seconds rarely catch a blink
//! (≈150 ms) and a calm user may not move the mouth, so absence is not evidence of an attack.
//! The signal can only support liveness; it never votes for an attack on its own.

use serde::{Deserialize, Serialize};

use super::Verdict;
use super::parallax::inter_ocular;

/// Thresholds of the non-rigid motion signal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MotionConfig {
    /// Eye-closed probability (both eyes) that counts as a closed frame.
    pub closed_eye: f32,
    /// Range (max − min) of the mouth-open ratio that counts as mouth movement.
    pub mouth_range: f32,
    /// Range of the brow-to-eye distance (fraction of the inter-ocular distance) that counts as a
    /// brow movement.
    pub brow_range: f32,
    /// Median inter-ocular distance (pixels) below which blinks are not looked for: `fr_eye`
    /// then sees eyes a few pixels wide. On the development clips scaled to 64 and 96 px faces
    /// and re-encoded (`face-eval pad`) it reported blinks in clips that show none at full size,
    /// and in a synthetic print; 48 px is about a 110 px face.
    pub min_blink_eye_distance_px: f32,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig {
            closed_eye: 0.5,
            mouth_range: 0.08,
            brow_range: 0.12,
            min_blink_eye_distance_px: 48.0,
        }
    }
}

/// Per-frame inputs of the signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionSample<'a> {
    /// 68 landmarks.
    pub landmarks: &'a [[f32; 2]],
    /// Probability that each eye is closed `(left, right)`, when computed.
    pub eyes_closed: Option<(f32, f32)>,
    /// Inner-lip gap over mouth width.
    pub mouth_open_ratio: f32,
}

/// Result of the non-rigid motion signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonRigidMotion {
    /// Frames used.
    pub frames: usize,
    /// A frame with both eyes closed between frames with open eyes.
    pub blink: bool,
    /// Whether the face was large enough to look for blinks (see
    /// [`MotionConfig::min_blink_eye_distance_px`]).
    pub blink_evaluated: bool,
    /// Range of the mouth-open ratio.
    pub mouth_range: f32,
    /// Range of the brow-to-eye distance (fraction of the inter-ocular distance).
    pub brow_range: f32,
    /// `Live` when any movement was seen, else `Inconclusive`.
    pub verdict: Verdict,
}

/// Mean vertical distance from the brows (17..27) to the eye centres, over the inter-ocular
/// distance (image rotation ignored: the sampled faces are upright within a few degrees).
fn brow_height(p: &[[f32; 2]]) -> f32 {
    let mean_y =
        |r: std::ops::Range<usize>| r.clone().map(|i| p[i][1]).sum::<f32>() / r.len() as f32;
    (mean_y(36..48) - mean_y(17..27)) / inter_ocular(p).max(1.0)
}

fn range(v: &[f32]) -> f32 {
    let (lo, hi) = v
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if v.is_empty() { 0.0 } else { hi - lo }
}

/// Non-rigid motion over the frames with a face.
pub fn non_rigid_motion(samples: &[MotionSample<'_>], cfg: &MotionConfig) -> NonRigidMotion {
    let samples: Vec<&MotionSample> = samples.iter().filter(|s| s.landmarks.len() == 68).collect();
    let closed: Vec<bool> = samples
        .iter()
        .map(|s| {
            s.eyes_closed
                .is_some_and(|(l, r)| l.min(r) > cfg.closed_eye)
        })
        .collect();
    // A blink is a closed frame with open frames before and after it (not eyes that stay shut,
    // which is what a print with closed eyes would show).
    let mut eye_distances: Vec<f32> = samples.iter().map(|s| inter_ocular(s.landmarks)).collect();
    eye_distances.sort_by(f32::total_cmp);
    let blink_evaluated = eye_distances
        .get(eye_distances.len() / 2)
        .is_some_and(|&d| d >= cfg.min_blink_eye_distance_px);
    let blink = blink_evaluated
        && closed.iter().enumerate().any(|(i, &c)| {
            c && closed[..i].iter().any(|&x| !x) && closed[i + 1..].iter().any(|&x| !x)
        });
    let mouth: Vec<f32> = samples.iter().map(|s| s.mouth_open_ratio).collect();
    let brow: Vec<f32> = samples.iter().map(|s| brow_height(s.landmarks)).collect();
    let (mouth_range, brow_range) = (range(&mouth), range(&brow));
    let moved = blink || mouth_range > cfg.mouth_range || brow_range > cfg.brow_range;
    NonRigidMotion {
        frames: samples.len(),
        blink,
        blink_evaluated,
        mouth_range,
        brow_range,
        verdict: if moved {
            Verdict::Live
        } else {
            Verdict::Inconclusive
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A face with an inter-ocular distance of 60 px.
    fn face(mouth_gap: f32) -> Vec<[f32; 2]> {
        let mut p = vec![[50.0, 50.0]; 68];
        for (k, i) in (36..42).enumerate() {
            p[i] = [20.0 + k as f32, 40.0];
        }
        for (k, i) in (42..48).enumerate() {
            p[i] = [80.0 + k as f32, 40.0];
        }
        for q in &mut p[17..27] {
            q[1] = 30.0;
        }
        p[62] = [50.0, 70.0];
        p[66] = [50.0, 70.0 + mouth_gap];
        p
    }

    #[test]
    fn blink_between_open_frames_is_live_motion() {
        let lm = face(0.0);
        let eyes = [0.1, 0.1, 0.9, 0.1, 0.1];
        let s: Vec<MotionSample> = eyes
            .iter()
            .map(|&c| MotionSample {
                landmarks: &lm,
                eyes_closed: Some((c, c)),
                mouth_open_ratio: 0.0,
            })
            .collect();
        let m = non_rigid_motion(&s, &MotionConfig::default());
        assert!(m.blink && m.blink_evaluated);
        assert_eq!(m.verdict, Verdict::Live);
        // The same eyes on a face too small for the eye model are not looked at.
        let small: Vec<[f32; 2]> = lm.iter().map(|p| [p[0] / 4.0, p[1] / 4.0]).collect();
        let s: Vec<MotionSample> = s
            .iter()
            .map(|x| MotionSample {
                landmarks: &small,
                ..*x
            })
            .collect();
        let m = non_rigid_motion(&s, &MotionConfig::default());
        assert!(!m.blink && !m.blink_evaluated);
        assert_eq!(m.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn eyes_shut_throughout_or_a_still_face_show_no_motion() {
        let lm = face(0.0);
        for closed in [0.9f32, 0.1] {
            let s: Vec<MotionSample> = (0..6)
                .map(|_| MotionSample {
                    landmarks: &lm,
                    eyes_closed: Some((closed, closed)),
                    mouth_open_ratio: 0.05,
                })
                .collect();
            let m = non_rigid_motion(&s, &MotionConfig::default());
            assert!(!m.blink && m.mouth_range == 0.0 && m.brow_range == 0.0);
            assert_eq!(m.verdict, Verdict::Inconclusive);
        }
    }
}
