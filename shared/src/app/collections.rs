//! Blacklist collections: collections, persons and their face images. Images are enrolled through
//! the face engine (one face per image, its template stored with the image item). Every enrolment
//! and deletion bumps the collection's `revision` in the same transaction, under a condition on
//! the revision it read: the 1:N search (`collection_search`) rebuilds its index whenever the
//! revision moved, so a deleted person is out of search as soon as the delete returns.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::media::{UploadFile, checked_content, media_tags};
use super::repo::{self, META};
use super::{App, Page};
use crate::domain::clock::now;
use crate::domain::collection::{
    Collection, MAX_IMAGES_PER_PERSON, Person, PersonImage, StoredPersonImage, check_alias,
};
use crate::domain::objects::{MediaType, MetaData};
use crate::domain::{
    Actor, CollectionId, CompanyId, PersonId, PersonImageId, metadata, tags, template,
};
use crate::ports::{AnalyzeError, AnalyzeRequest, Condition, Range, StoreError, Write};
use crate::{Error, Result};

/// Body of `POST /api/collections/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCollection {
    pub alias: String,
    /// ADMIN names the company; others create in their own (another company answers 404).
    #[serde(default)]
    pub company_id: Option<CompanyId>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub meta_data: Option<Value>,
}

/// Images to enrol for a person: the files of a multipart upload.
#[derive(Debug, Default)]
pub struct PersonUpload {
    pub files: Vec<UploadFile>,
    /// `media:tags` of the payload: each image's tags, by form key.
    pub tags: BTreeMap<String, Vec<String>>,
    /// `person:meta_data` of the payload (only when creating the person).
    pub person_meta: Option<MetaData>,
}

impl PersonUpload {
    /// Builds the upload from its file parts and `payload` JSON part: `media:tags` per image
    /// (as Oz's collection guide sends them) and `person:meta_data`, and nothing else.
    pub fn new(files: Vec<UploadFile>, payload: Option<Value>) -> Result<Self> {
        let mut payload = match payload {
            None => serde_json::Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(Error::InvalidType("payload must be a JSON object".into())),
        };
        let mut tags = media_tags(&mut payload)?;
        let person_meta = payload
            .remove("person:meta_data")
            .filter(|v| !v.is_null())
            .map(metadata::parse)
            .transpose()?;
        if let Some(k) = payload.keys().next() {
            return Err(Error::InvalidStructure(format!(
                "unknown payload field {k:?} (a person takes media:tags and person:meta_data)"
            )));
        }
        tags.retain(|k, _| files.iter().any(|f| &f.form_key == k));
        Ok(Self {
            files,
            tags,
            person_meta,
        })
    }
}

/// A person and, when asked for, its images.
#[derive(Debug)]
pub struct PersonView {
    pub person: Person,
    pub images: Option<Vec<PersonImage>>,
}

/// How many times a write retries after another writer moved the collection's revision first.
const WRITE_RETRIES: usize = 8;

/// The write that moves `c` to its next revision, only if nobody else did since it was read.
fn bump(c: &Collection) -> Write {
    let mut next = c.clone();
    next.revision += 1;
    next.time_updated = now();
    Write::Put(
        repo::collection_item(&next),
        Condition::FieldEquals("revision".into(), json!(c.revision)),
    )
}

/// A change of a collection's persons or images (each bumps the collection's revision).
enum Change<'a> {
    CreatePerson(&'a Person, &'a [Enrolled]),
    AddImages(PersonId, &'a [Enrolled]),
    DeletePerson(PersonId),
    DeleteImage(PersonId, PersonImageId),
}

/// Refuses adding `n` images to `p` past [`MAX_IMAGES_PER_PERSON`].
fn room(p: &Person, n: usize) -> Result<()> {
    if p.image_count as usize + n > MAX_IMAGES_PER_PERSON as usize {
        return Err(Error::TooLarge(format!(
            "a person holds at most {MAX_IMAGES_PER_PERSON} images; this one has {}",
            p.image_count
        )));
    }
    Ok(())
}

/// An image checked and enrolled, ready to store.
struct Enrolled {
    image: StoredPersonImage,
    bytes: Bytes,
    mime: &'static str,
}

impl App {
    /// Creates a collection.
    pub async fn create_collection(&self, actor: &Actor, req: NewCollection) -> Result<Collection> {
        actor.require_collection_write()?;
        let company_id = req.company_id.unwrap_or(actor.company_id);
        // Checks visibility and existence: another tenant's company answers 404.
        self.get_company(actor, company_id).await?;
        let description = req.description.unwrap_or_default();
        if description.chars().count() > 1000 {
            return Err(Error::invalid(
                "description must be at most 1000 characters",
            ));
        }
        let t = now();
        let c = Collection {
            collection_id: CollectionId::new(),
            company_id,
            alias: check_alias(&req.alias)?,
            description,
            meta_data: req
                .meta_data
                .map(metadata::parse)
                .transpose()?
                .unwrap_or_default(),
            technical_meta_data: MetaData::new(),
            revision: 0,
            time_created: t,
            time_updated: t,
        };
        self.store
            .transact(vec![
                Write::Put(repo::collection_item(&c), Condition::NotExists),
                Write::Put(repo::alias_item(&c), Condition::NotExists),
            ])
            .await
            .map_err(|e| match e {
                StoreError::Conflict => Error::AlreadyExists(format!(
                    "the company already has a collection with alias {:?}",
                    c.alias
                )),
                other => other.into(),
            })?;
        tracing::info!(collection_id = %c.collection_id, company_id = %company_id, "collection created");
        Ok(c)
    }

    /// The collection with this id, if it belongs to company `company` (no actor: the worker's
    /// view when an analysis names it).
    pub async fn company_collection(
        &self,
        company: CompanyId,
        id: CollectionId,
    ) -> Result<Collection> {
        let c: Collection =
            repo::get_meta(&*self.store, &repo::collection_pk(id), "collection").await?;
        if c.company_id == company {
            Ok(c)
        } else {
            Err(Error::NotFound("collection"))
        }
    }

    /// The collection of company `company` with this alias.
    pub async fn collection_by_alias(&self, company: CompanyId, alias: &str) -> Result<Collection> {
        let claim = self
            .store
            .get(&repo::company_pk(company), &repo::alias_sk(alias))
            .await?
            .ok_or(Error::NotFound("collection"))?;
        let id: CollectionId = serde_json::from_value(claim.body["collection_id"].clone())
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("corrupt alias claim: {e}")))?;
        self.company_collection(company, id).await
    }

    /// The collection, if the caller may read it.
    pub async fn get_collection(&self, actor: &Actor, id: CollectionId) -> Result<Collection> {
        let c: Collection =
            repo::get_meta(&*self.store, &repo::collection_pk(id), "collection").await?;
        if actor.sees_company(c.company_id) {
            Ok(c)
        } else {
            Err(Error::NotFound("collection"))
        }
    }

    /// Collections the caller may read, newest first, with the `alias` given (case-insensitive);
    /// ADMIN and OPERATOR may filter by company.
    pub async fn list_collections(
        &self,
        actor: &Actor,
        company: Option<CompanyId>,
        alias: Option<&str>,
        page: Page,
    ) -> Result<(Vec<Collection>, usize)> {
        let index = match (actor.role.is_global(), company) {
            (true, None) => repo::all_collections(),
            (true, Some(c)) => repo::company_collections(c),
            (false, _) => repo::company_collections(actor.company_id),
        };
        let range = Range {
            descending: true,
            ..Range::default()
        };
        let all: Vec<Collection> = repo::list_index(&*self.store, &index, &range).await?;
        let visible: Vec<Collection> = all
            .into_iter()
            .filter(|c| actor.sees_company(c.company_id))
            .filter(|c| company.is_none_or(|x| c.company_id == x))
            .filter(|c| alias.is_none_or(|a| c.alias.eq_ignore_ascii_case(a.trim())))
            .collect();
        Ok(page.apply(visible))
    }

    /// Deletes a collection with its persons, images and files. The collection item goes first,
    /// so from then on the collection answers 404 and no analysis can search it.
    pub async fn delete_collection(&self, actor: &Actor, id: CollectionId) -> Result<()> {
        let c = self.get_collection(actor, id).await?;
        actor.require_collection_write()?;
        let pk = repo::collection_pk(id);
        self.store
            .transact(vec![
                Write::Delete {
                    pk: pk.clone(),
                    sk: META.into(),
                },
                Write::Delete {
                    pk: repo::company_pk(c.company_id),
                    sk: repo::alias_sk(&c.alias),
                },
            ])
            .await?;
        repo::delete_partition(&*self.store, &pk).await?;
        self.blobs
            .delete_prefix(&repo::collection_objects(c.company_id, id))
            .await?;
        tracing::info!(collection_id = %id, "collection deleted");
        Ok(())
    }

    /// Saves a collection's new `meta_data` (the revision is left alone: search does not read it).
    pub async fn save_collection_meta(
        &self,
        actor: &Actor,
        id: CollectionId,
        md: MetaData,
    ) -> Result<MetaData> {
        for _ in 0..WRITE_RETRIES {
            let mut c = self.get_collection(actor, id).await?;
            actor.require_collection_write()?;
            let cond = Condition::FieldEquals("revision".into(), json!(c.revision));
            c.meta_data = md.clone();
            c.time_updated = now();
            match self.store.put(repo::collection_item(&c), cond).await {
                Ok(()) => return Ok(c.meta_data),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(busy())
    }

    /// Checks every file and computes its template; any bad image refuses the whole request.
    async fn enrol(&self, person: &Person, upload: PersonUpload) -> Result<Vec<Enrolled>> {
        let PersonUpload {
            files, mut tags, ..
        } = upload;
        if files.is_empty() {
            return Err(Error::InvalidStructure(
                "send at least one face image (a multipart file part)".into(),
            ));
        }
        let analyzer = self.analyzer.get(super::analyzer_slot::ENGINE_WAIT).await?;
        let limits = self.config.limits;
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let checked = {
                let f = f.clone();
                tokio::task::spawn_blocking(move || checked_content(&f, &limits, true))
                    .await
                    .map_err(|e| Error::Unexpected(anyhow::anyhow!("image check failed: {e}")))??
            };
            let name = checked.name.clone();
            if checked.media_type != MediaType::ImageFolder {
                return Err(Error::InvalidType(format!(
                    "file {name:?}: person images must be photos (JPEG, PNG or WebP)"
                )));
            }
            let image_tags = tags::validate(&tags.remove(&f.form_key).unwrap_or_default(), true)?;
            let req = AnalyzeRequest {
                template: true,
                ..AnalyzeRequest::default()
            };
            let found = match analyzer.analyze(f.bytes.clone(), req).await {
                Ok(found) => found,
                Err(AnalyzeError::Undecodable(e)) => {
                    return Err(Error::invalid(format!("file {name:?}: {e}")));
                }
                Err(AnalyzeError::Engine(e)) => return Err(Error::Unexpected(e)),
            };
            if found.frames_with_face == 0 {
                return Err(Error::invalid(format!("file {name:?}: no face found")));
            }
            if found.frames_with_multiple_faces > 0 {
                return Err(Error::invalid(format!(
                    "file {name:?}: more than one face; enrol one face per image"
                )));
            }
            let tpl = found
                .template
                .ok_or_else(|| Error::invalid(format!("file {name:?}: no face template")))?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(template::encode(&tpl)?);
            let mut tech = checked.technical_meta_data;
            if let Some((_, b)) = found.best_frame {
                tech.insert("face_box".into(), json!(b));
            }
            let t = now();
            out.push(Enrolled {
                image: StoredPersonImage {
                    image: PersonImage {
                        person_image_id: PersonImageId::new(),
                        person_id: person.person_id,
                        collection_id: person.collection_id,
                        company_id: person.company_id,
                        original_name: name.chars().take(255).collect(),
                        tags: image_tags,
                        technical_meta_data: tech,
                        time_created: t,
                        time_updated: t,
                    },
                    template: encoded,
                },
                bytes: f.bytes,
                mime: checked.mime,
            });
        }
        Ok(out)
    }

    /// The writes of `change` given the store as it is now (re-read on every try), and the
    /// object keys to delete once they are committed. Access was checked by the caller.
    async fn change_writes(
        &self,
        cid: CollectionId,
        change: &Change<'_>,
    ) -> Result<(Vec<Write>, Vec<String>)> {
        let pk = repo::collection_pk(cid);
        let images = |enrolled: &[Enrolled]| -> Vec<Write> {
            enrolled
                .iter()
                .map(|e| Write::Put(repo::image_item(&e.image), Condition::NotExists))
                .collect()
        };
        Ok(match change {
            Change::CreatePerson(person, enrolled) => {
                let mut w = vec![Write::Put(repo::person_item(person), Condition::NotExists)];
                w.extend(images(enrolled));
                (w, Vec::new())
            }
            Change::AddImages(pid, enrolled) => {
                let mut p = self.load_person(cid, *pid).await?;
                room(&p, enrolled.len())?;
                p.image_count += enrolled.len() as u32;
                p.time_updated = now();
                let mut w = vec![Write::Put(repo::person_item(&p), Condition::Exists)];
                w.extend(images(enrolled));
                (w, Vec::new())
            }
            Change::DeletePerson(pid) => {
                self.load_person(cid, *pid).await?;
                let images = self.load_person_images(cid, *pid).await?;
                let mut w = vec![Write::Delete {
                    pk: pk.clone(),
                    sk: repo::person_sk(*pid),
                }];
                w.extend(images.iter().map(|i| Write::Delete {
                    pk: pk.clone(),
                    sk: repo::image_sk(*pid, i.person_image_id),
                }));
                (w, images.iter().map(repo::person_image_object).collect())
            }
            Change::DeleteImage(pid, iid) => {
                let mut p = self.load_person(cid, *pid).await?;
                let item = self
                    .store
                    .get(&pk, &repo::image_sk(*pid, *iid))
                    .await?
                    .ok_or(Error::NotFound("person image"))?;
                let image: StoredPersonImage = repo::decode(item)?;
                p.image_count = p.image_count.saturating_sub(1);
                p.time_updated = now();
                let w = vec![
                    Write::Put(repo::person_item(&p), Condition::Exists),
                    Write::Delete {
                        pk: pk.clone(),
                        sk: repo::image_sk(*pid, *iid),
                    },
                ];
                (w, vec![repo::person_image_object(&image.image)])
            }
        })
    }

    /// Commits `change` together with the collection's revision bump in one transaction; when
    /// another writer moved the revision first, reads everything again and retries. Then deletes
    /// the files the change removed.
    async fn commit_change(
        &self,
        actor: &Actor,
        cid: CollectionId,
        change: Change<'_>,
    ) -> Result<()> {
        for _ in 0..WRITE_RETRIES {
            let c = self.get_collection(actor, cid).await?;
            actor.require_collection_write()?;
            let (writes, gone) = self.change_writes(cid, &change).await?;
            let mut all = vec![bump(&c)];
            all.extend(writes);
            match self.store.transact(all).await {
                Ok(()) => {
                    for key in gone {
                        let _ = self.blobs.delete(&key).await;
                    }
                    return Ok(());
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(busy())
    }

    /// Stores the enrolled files, then commits `change`; on failure removes the files again.
    async fn store_enrolled(
        &self,
        actor: &Actor,
        cid: CollectionId,
        enrolled: &[Enrolled],
        change: Change<'_>,
    ) -> Result<()> {
        for e in enrolled {
            self.blobs
                .put(
                    &repo::person_image_object(&e.image.image),
                    e.bytes.clone(),
                    e.mime,
                )
                .await?;
        }
        let result = self.commit_change(actor, cid, change).await;
        if result.is_err() {
            for e in enrolled {
                let _ = self
                    .blobs
                    .delete(&repo::person_image_object(&e.image.image))
                    .await;
            }
        }
        result
    }

    /// Creates a person with its images (at least one) in collection `cid`.
    pub async fn create_person(
        &self,
        actor: &Actor,
        cid: CollectionId,
        mut upload: PersonUpload,
    ) -> Result<PersonView> {
        let c = self.get_collection(actor, cid).await?;
        actor.require_collection_write()?;
        if upload.files.len() > MAX_IMAGES_PER_PERSON as usize {
            return Err(Error::TooLarge(format!(
                "a person holds at most {MAX_IMAGES_PER_PERSON} images"
            )));
        }
        let t = now();
        let mut person = Person {
            person_id: PersonId::new(),
            collection_id: cid,
            company_id: c.company_id,
            meta_data: upload.person_meta.take().unwrap_or_default(),
            technical_meta_data: MetaData::new(),
            image_count: 0,
            time_created: t,
            time_updated: t,
        };
        let enrolled = self.enrol(&person, upload).await?;
        person.image_count = enrolled.len() as u32;
        self.store_enrolled(
            actor,
            cid,
            &enrolled,
            Change::CreatePerson(&person, &enrolled),
        )
        .await?;
        tracing::info!(collection_id = %cid, person_id = %person.person_id, images = enrolled.len(), "person enrolled");
        Ok(PersonView {
            person,
            images: Some(enrolled.into_iter().map(|e| e.image.image).collect()),
        })
    }

    /// The person, if the caller may read its collection.
    pub async fn get_person(
        &self,
        actor: &Actor,
        cid: CollectionId,
        pid: PersonId,
    ) -> Result<Person> {
        self.get_collection(actor, cid).await?;
        actor.require_person_read()?;
        self.load_person(cid, pid).await
    }

    /// The person item, without access checks (the caller made them).
    async fn load_person(&self, cid: CollectionId, pid: PersonId) -> Result<Person> {
        let item = self
            .store
            .get(&repo::collection_pk(cid), &repo::person_sk(pid))
            .await?
            .ok_or(Error::NotFound("person"))?;
        repo::decode(item)
    }

    /// The person with its images.
    pub async fn person_view(
        &self,
        actor: &Actor,
        cid: CollectionId,
        pid: PersonId,
    ) -> Result<PersonView> {
        let person = self.get_person(actor, cid, pid).await?;
        let images = self.load_person_images(cid, pid).await?;
        Ok(PersonView {
            person,
            images: Some(images),
        })
    }

    /// Persons of a collection, oldest first.
    pub async fn list_persons(
        &self,
        actor: &Actor,
        cid: CollectionId,
        page: Page,
    ) -> Result<(Vec<Person>, usize)> {
        self.get_collection(actor, cid).await?;
        actor.require_person_read()?;
        let mut persons: Vec<Person> =
            repo::list_prefix(&*self.store, &repo::collection_pk(cid), repo::PERSON_PREFIX).await?;
        persons.sort_by(|a, b| a.time_created.total_cmp(&b.time_created));
        Ok(page.apply(persons))
    }

    /// Deletes a person and all its images in one transaction (with the revision bump), then
    /// their files.
    pub async fn delete_person(
        &self,
        actor: &Actor,
        cid: CollectionId,
        pid: PersonId,
    ) -> Result<()> {
        self.commit_change(actor, cid, Change::DeletePerson(pid))
            .await?;
        tracing::info!(collection_id = %cid, person_id = %pid, "person deleted");
        Ok(())
    }

    /// The images of a person, oldest first.
    pub async fn person_images(
        &self,
        actor: &Actor,
        cid: CollectionId,
        pid: PersonId,
    ) -> Result<Vec<PersonImage>> {
        self.get_collection(actor, cid).await?;
        actor.require_person_read()?;
        self.load_person_images(cid, pid).await
    }

    /// The image items of a person, without access checks (the caller made them).
    async fn load_person_images(
        &self,
        cid: CollectionId,
        pid: PersonId,
    ) -> Result<Vec<PersonImage>> {
        let stored: Vec<StoredPersonImage> = repo::list_prefix(
            &*self.store,
            &repo::collection_pk(cid),
            &repo::person_images_prefix(pid),
        )
        .await?;
        let mut images: Vec<PersonImage> = stored.into_iter().map(|s| s.image).collect();
        images.sort_by(|a, b| a.time_created.total_cmp(&b.time_created));
        Ok(images)
    }

    /// Adds images to a person.
    pub async fn add_person_images(
        &self,
        actor: &Actor,
        cid: CollectionId,
        pid: PersonId,
        upload: PersonUpload,
    ) -> Result<Vec<PersonImage>> {
        let person = self.get_person(actor, cid, pid).await?;
        actor.require_collection_write()?;
        if upload.person_meta.is_some() {
            return Err(Error::InvalidStructure(
                "person:meta_data is only accepted when creating a person".into(),
            ));
        }
        room(&person, upload.files.len())?;
        let enrolled = self.enrol(&person, upload).await?;
        self.store_enrolled(actor, cid, &enrolled, Change::AddImages(pid, &enrolled))
            .await?;
        Ok(enrolled.into_iter().map(|e| e.image.image).collect())
    }

    /// Deletes one image of a person (with the revision bump), then its file.
    pub async fn delete_person_image(
        &self,
        actor: &Actor,
        cid: CollectionId,
        pid: PersonId,
        iid: PersonImageId,
    ) -> Result<()> {
        self.commit_change(actor, cid, Change::DeleteImage(pid, iid))
            .await
    }
}

fn busy() -> Error {
    Error::External("the collection changed under too many concurrent writes; retry".into())
}
