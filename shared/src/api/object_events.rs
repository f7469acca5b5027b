//! S3 "object created" notifications: each names an object key, which completes the direct
//! upload it belongs to (see [`crate::app::uploads`]). Other keys are ignored.

use aws_lambda_events::s3::S3Event;

use crate::App;
use crate::app::uploads::Completion;

/// Handles one notification batch. A failed completion fails the invocation, so Lambda retries
/// it; completions are idempotent, so the records that did succeed are harmless to redo.
pub async fn handle(app: &App, event: S3Event) -> Result<(), crate::Error> {
    let mut first_error = None;
    for record in event.records {
        let created = record
            .event_name
            .as_deref()
            .is_some_and(|n| n.starts_with("ObjectCreated"));
        let Some(key) = record.s3.object.key.filter(|_| created) else {
            continue;
        };
        match app.complete_uploaded_object(&key).await {
            Ok(Completion::Accepted(m)) => {
                tracing::info!(%key, media_id = %m.media_id, "upload completed");
            }
            Ok(Completion::Rejected(reason)) => tracing::info!(%key, %reason, "upload refused"),
            Ok(Completion::Waiting) => tracing::debug!(%key, "no pending upload for object"),
            Err(e) => {
                tracing::error!(%key, error = %e, "completing upload failed");
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}
