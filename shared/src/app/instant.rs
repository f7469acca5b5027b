//! The Instant API (`POST /api/instant/folders/`): a folder's media checked and analysed in
//! memory, answered in the same response, and nothing written anywhere — no item, no object, no
//! queued job. The caller is authenticated read-only ([`App::authenticate_read_only`]).

use std::collections::HashMap;

use bytes::Bytes;

use super::App;
use super::analyzer_slot::ENGINE_WAIT;
use super::evaluate::{BestShot, HeldMedia, SharedFindings, evaluate};
use super::media::{Upload, engine_error, probe_still};
use crate::domain::analysis::{Analysis, eligible, roll_up};
use crate::domain::clock::now;
use crate::domain::objects::{Folder, FolderStatus, Media, MetaData, Resolution};
use crate::domain::{Actor, AnalysisId, FolderId};
use crate::{Error, Result};

/// What an instant request produced: a folder that was never stored, its media, and each
/// analysis with the best shots it made.
#[derive(Debug)]
pub struct InstantFolder {
    pub folder: Folder,
    pub media: Vec<Media>,
    pub analyses: Vec<(Analysis, Vec<BestShot>)>,
}

impl App {
    /// Checks `upload`'s media and runs its `payload.analyses` on them, synchronously, writing
    /// nothing.
    pub async fn instant_folder(&self, actor: &Actor, mut upload: Upload) -> Result<InstantFolder> {
        let req = upload.analyses.take().ok_or_else(|| {
            Error::InvalidStructure("payload.analyses is required: the analyses to run".into())
        })?;
        if req.resolution_endpoint.is_some() {
            return Err(Error::invalid(
                "the Instant API answers in its response; it sends no webhook",
            ));
        }
        let plans = self
            .check_analyses_request(actor, actor.company_id, &req)
            .await?;
        // The media ids are made up by this request, so a client cannot name them beforehand;
        // tags choose the media instead.
        if plans
            .iter()
            .any(|p| p.source_media.as_ref().is_some_and(|m| !m.is_empty()))
        {
            return Err(Error::invalid(
                "source_media is not accepted by the Instant API: media ids are generated \
                 per request; tag the media instead",
            ));
        }
        if upload.files.is_empty() {
            return Err(Error::invalid(
                "the Instant API needs at least one media file",
            ));
        }
        let t = now();
        let mut folder = Folder {
            folder_id: FolderId::new(),
            company_id: actor.company_id,
            user_id: actor.user_id,
            resolution_status: FolderStatus::Processing,
            system_resolution: Resolution::Processing,
            meta_data: upload.folder_meta.clone().unwrap_or_default(),
            technical_meta_data: MetaData::new(),
            time_created: t,
            time_updated: t,
        };
        let checked = self.prepare_media(&folder, upload, true).await?;
        let analyzer = self.analyzer.get(ENGINE_WAIT).await?;
        let mut bytes: HashMap<_, Bytes> = HashMap::with_capacity(checked.len());
        let mut media = Vec::with_capacity(checked.len());
        for m in checked {
            bytes.insert(m.media.media_id, m.bytes);
            media.push(m.media);
        }
        let thresholds = self.thresholds(actor.company_id).await?;
        let group = AnalysisId::new();
        let planned: Vec<(Analysis, Vec<Media>)> = plans
            .into_iter()
            .map(|plan| {
                let a = plan.start(&folder, actor.user_id, group, None);
                let chosen = eligible(a.kind, &media).into_iter().cloned().collect();
                (a, chosen)
            })
            .collect();
        let held = HeldMedia {
            bytes,
            shared: SharedFindings::new(planned.iter().map(|(a, m)| (a, m.as_slice()))),
        };
        let mut analyses = Vec::with_capacity(planned.len());
        for (mut a, chosen) in planned {
            let shots = evaluate(&*analyzer, &mut a, &chosen, &held, &thresholds, self).await?;
            a.time_updated = now();
            analyses.push((a, shots));
        }
        let ended: Vec<Analysis> = analyses.iter().map(|(a, _)| a.clone()).collect();
        (folder.resolution_status, folder.system_resolution) = roll_up(&ended);
        folder.time_updated = now();
        tracing::info!(folder_id = %folder.folder_id, media = media.len(),
            analyses = analyses.len(), resolution = ?folder.system_resolution, "instant folder analysed");
        Ok(InstantFolder {
            folder,
            media,
            analyses,
        })
    }
}

/// Where the face is in a camera frame: what the capture page's live hints need ("no face",
/// "too far", "more than one face"). Nothing is stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FaceCheck {
    /// The frame's size in pixels.
    pub width: u32,
    pub height: u32,
    /// 0, 1, or 2 for "more than one".
    pub faces: u8,
    /// The largest face as `[x1, y1, x2, y2]` in pixels, when one was found.
    pub face: Option<[f32; 4]>,
}

impl App {
    /// Finds the face in one still image, computing nothing else (no liveness, no template).
    pub async fn face_check(&self, bytes: Bytes) -> Result<FaceCheck> {
        let what = "the image";
        let info = probe_still(
            &bytes,
            &self.config.limits.media,
            what,
            "a face check takes one JPEG, PNG or WebP image",
        )?;
        let analyzer = self.analyzer.get(ENGINE_WAIT).await?;
        let f = analyzer
            .analyze(bytes, crate::ports::AnalyzeRequest::default())
            .await
            .map_err(|e| engine_error(what, e))?;
        let faces = match (f.frames_with_face, f.frames_with_multiple_faces) {
            (0, _) => 0,
            (_, 0) => 1,
            _ => 2,
        };
        Ok(FaceCheck {
            width: info.width,
            height: info.height,
            faces,
            face: f.best_frame.map(|(_, b)| b),
        })
    }
}
