//! 1:N search of a collection: an in-memory [`FlatIndex`] (int8 templates, brute-force scan) per
//! collection, built from the stored image items and kept while the collection's revision stays
//! the one it was built at. Every enrolment or deletion moves the revision in the same
//! transaction, so a search that read the collection after a delete returned never sees the
//! deleted templates. A managed vector index would replace [`FlatIndex`] behind
//! [`face_search::TemplateSearch`] (see the README).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use face_search::FlatIndex;

use super::App;
use super::repo::{image_template, stored_images};
use crate::domain::collection::{Candidate, Collection, CollectionRef};
use crate::domain::{CollectionId, CompanyId, PersonId, PersonImageId, template};
use crate::{Error, Result};

/// Indexes kept per process; past this the least recently used one is dropped.
const MAX_CACHED: usize = 16;
/// From this many templates a probe scans on every core.
const PARALLEL_FROM: usize = 100_000;

struct Built {
    revision: u64,
    index: FlatIndex<(PersonId, PersonImageId)>,
}

/// The per-process cache of built indexes.
#[derive(Default)]
pub struct CollectionIndexes {
    cache: Mutex<HashMap<CollectionId, (Arc<Built>, u64)>>,
    uses: std::sync::atomic::AtomicU64,
}

impl CollectionIndexes {
    fn get(&self, id: CollectionId, revision: u64) -> Option<Arc<Built>> {
        let tick = self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut cache = self.cache.lock().expect("not poisoned");
        let entry = cache.get_mut(&id)?;
        if entry.0.revision != revision {
            return None;
        }
        entry.1 = tick;
        Some(entry.0.clone())
    }

    fn put(&self, id: CollectionId, built: Arc<Built>) {
        let tick = self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut cache = self.cache.lock().expect("not poisoned");
        cache.insert(id, (built, tick));
        if cache.len() > MAX_CACHED
            && let Some(oldest) = cache.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| *k)
        {
            cache.remove(&oldest);
        }
    }
}

impl App {
    /// The collection an analysis of company `company` names, by id or alias; another
    /// company's collection is "not found", exactly like a missing one.
    pub async fn find_collection(
        &self,
        company: CompanyId,
        r: &CollectionRef,
    ) -> Result<Collection> {
        match r {
            CollectionRef::Id(id) => self.company_collection(company, *id).await,
            CollectionRef::Alias(a) => self.collection_by_alias(company, a).await,
        }
    }

    /// The `k` templates of collection `c` (as read just now) most similar to `probe`.
    pub async fn search_collection(
        &self,
        c: &Collection,
        probe: &[f32],
        k: usize,
    ) -> Result<Vec<Candidate>> {
        let built = match self.collection_indexes.get(c.collection_id, c.revision) {
            Some(b) => b,
            None => {
                let b = Arc::new(self.build_index(c).await?);
                self.collection_indexes.put(c.collection_id, b.clone());
                b
            }
        };
        let probe = probe.to_vec();
        let hits = tokio::task::spawn_blocking(move || {
            if built.index.len() >= PARALLEL_FROM {
                built.index.search_parallel(&probe, k)
            } else {
                built.index.search(&probe, k)
            }
        })
        .await
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("search task failed: {e}")))?
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("search: {e}")))?;
        Ok(hits
            .into_iter()
            .map(|h| Candidate {
                person_id: h.key.0,
                person_image_id: h.key.1,
                cosine: h.cosine,
            })
            .collect())
    }

    async fn build_index(&self, c: &Collection) -> Result<Built> {
        let started = std::time::Instant::now();
        let images = stored_images(&*self.store, c.collection_id).await?;
        let mut index = FlatIndex::with_capacity(template::DIM, images.len());
        let mut stale = 0usize;
        for i in &images {
            // A template of another format (made by an earlier embedding model) cannot be
            // compared with today's: the image is left out of the search, not the whole
            // collection, until the person is enrolled again.
            let tpl = match image_template(i) {
                Ok(tpl) => tpl,
                Err(e) => {
                    stale += 1;
                    tracing::warn!(collection_id = %c.collection_id, person_id = %i.image.person_id,
                        person_image_id = %i.image.person_image_id, error = %e,
                        "stored template left out of the search");
                    continue;
                }
            };
            index
                .insert((i.image.person_id, i.image.person_image_id), &tpl)
                .map_err(|e| Error::Unexpected(anyhow::anyhow!("stored template: {e}")))?;
        }
        tracing::info!(collection_id = %c.collection_id, revision = c.revision,
            templates = index.len(), stale, ms = started.elapsed().as_millis() as u64, "collection index built");
        Ok(Built {
            revision: c.revision,
            index,
        })
    }
}
