//! The accuracy report (`face_eval::eval`, `face-eval report`) on `../shared/data`
//! (`$OZ_SHARED_DATA`), skipped when that folder is absent: verification (also per capture
//! condition), single-frame PAD and the multi-signal PAD fusion meet their targets.

use face_eval::data::{engine, shared_data};

#[test]
fn eval_on_shared_data() {
    let Some(data) = shared_data() else { return };
    let report = face_eval::eval::evaluate(&engine(), &data).unwrap();
    let table = report.to_table();
    assert!(table.contains("FNMR") && table.contains("APCER") && table.contains("BPCER"));
    let v = report.verification.expect("faces-deepface present");
    assert_eq!((v.genuine, v.impostor), (38, 262));
    assert!(v.no_face.is_empty(), "{:?}", v.no_face);
    assert_eq!(v.fmr_at_085, 0.0);
    assert!(v.fnmr_at_085 <= 0.05, "{}", v.fnmr_at_085);
    assert!(v.eer <= 0.02, "{}", v.eer);
    let pad = report.pad.expect("pad present");
    let bona_fide = pad
        .bpcer
        .iter()
        .find(|r| r.name == "pad/bona-fide")
        .unwrap();
    assert_eq!((bona_fide.n, bona_fide.rate), (4, 0.0));
    assert!(
        pad.apcer_print_replay.rate <= 0.25,
        "{:?}",
        pad.apcer_print_replay
    );
    // The multi-signal decision meets the PAD targets: every print, cut-out and replay declined
    // (judged as an attack, or refused unjudged by the capture gate), BPCER ≤ 5 % on the bona
    // fide photos and videos it judges; masks are reported, not required. The gate refuses every
    // QP 40-44 copy, nothing filmed at a capture's quality with a large face, and at most one
    // full-resolution live clip (a face of 63 px in `talk-zoom-out.mp4`).
    let fusion = report.pad_fusion.expect("pad fusion present");
    for r in &fusion.rows {
        if r.medium.contains("QP 40-44") {
            assert_eq!(r.fused.accepted + r.fused.rejected, 0, "{r:?}");
            assert!(r.fused.refused > 0, "{r:?}");
        }
        if r.medium.starts_with("photo") || r.medium == "synthetic video" {
            assert_eq!(r.fused.refused, 0, "{r:?}");
        }
        if r.medium == "video" && !r.attack {
            assert!(r.fused.refused <= 1, "{r:?}");
        }
        // Grayscale copies are judged at the CNN's grayscale operating point, which passes the
        // grayscale framed print (CNN 0.956 < 0.97): the one known miss outside the masks.
        let allowed = usize::from(r.medium == "photo gray" && r.group == "print");
        if r.attack && !r.group.contains("mask") {
            assert!(r.fused.accepted <= allowed, "{r:?}");
        }
        if !r.attack {
            assert!(r.fused.rate(false) <= 0.05, "{r:?}");
        }
    }
    // Matching per capture condition: no impostor passes the default decision anywhere, and on
    // the development split (where the calibration was fitted) FNMR there is at most 5 % under
    // every condition, with the faces found in every degraded copy.
    let conditions = report.conditions.expect("conditions present");
    assert_eq!(
        conditions.rows.len(),
        12,
        "2 splits × 3 conditions × 2 methods"
    );
    for r in &conditions.rows {
        assert_eq!(r.report.fmr_at_085, 0.0, "{r:?}");
        if r.split == "dev" {
            assert!(r.report.fnmr_at_085 <= 0.05, "{r:?}");
            assert_eq!(r.no_face, 0, "{r:?}");
        }
    }
}
