//! Companies (tenants): ADMIN manages them; everyone else sees only their own.

use serde::Deserialize;

use super::repo::{self, META};
use super::{App, Page};
use crate::domain::analysis::Thresholds;
use crate::domain::clock::now;
use crate::domain::objects::{Company, MetaData};
use crate::domain::{Actor, CompanyId};
use crate::ports::{Condition, Range, StoreError};
use crate::{Error, Result};

/// Body of `POST /api/companies/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCompany {
    pub name: String,
    #[serde(default)]
    pub meta_data: Option<serde_json::Value>,
}

/// Body of `PATCH /api/companies/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub meta_data: Option<serde_json::Value>,
    /// **ours**: decision thresholds; ADMIN or the company's CLIENT ADMIN.
    pub analysis_thresholds: Option<Thresholds>,
}

fn check_name(name: &str) -> Result<String> {
    crate::domain::trimmed_within(name, 200)
        .map(str::to_string)
        .ok_or_else(|| Error::invalid("company name must be 1 to 200 characters"))
}

fn meta(v: Option<serde_json::Value>) -> Result<MetaData> {
    v.map(crate::domain::metadata::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

impl App {
    /// Creates a company (ADMIN).
    pub async fn create_company(&self, actor: &Actor, req: NewCompany) -> Result<Company> {
        actor.require_admin()?;
        let t = now();
        let c = Company {
            company_id: CompanyId::new(),
            name: check_name(&req.name)?,
            in_deletion: false,
            meta_data: meta(req.meta_data)?,
            technical_meta_data: MetaData::new(),
            analysis_thresholds: Default::default(),
            time_created: t,
            time_updated: t,
        };
        self.store
            .put(repo::company_item(&c), Condition::NotExists)
            .await?;
        Ok(c)
    }

    /// The company, if the caller may see it.
    pub async fn get_company(&self, actor: &Actor, id: CompanyId) -> Result<Company> {
        if !actor.sees_company(id) {
            return Err(Error::NotFound("company"));
        }
        repo::get_meta(&*self.store, &repo::company_pk(id), "company").await
    }

    /// Companies the caller may see, filtered by a case-insensitive name substring.
    pub async fn list_companies(
        &self,
        actor: &Actor,
        search: Option<&str>,
        page: Page,
    ) -> Result<(Vec<Company>, usize)> {
        let all: Vec<Company> = if actor.role.is_global() {
            repo::list_index(&*self.store, &repo::all_companies(), &Range::default()).await?
        } else {
            vec![self.get_company(actor, actor.company_id).await?]
        };
        let needle = search.map(str::to_lowercase);
        let hits = all
            .into_iter()
            .filter(|c| {
                needle
                    .as_ref()
                    .is_none_or(|n| c.name.to_lowercase().contains(n))
            })
            .collect();
        Ok(page.apply(hits))
    }

    /// Renames a company or replaces its metadata (ADMIN); changes its thresholds (ADMIN or its
    /// CLIENT ADMIN).
    pub async fn update_company(
        &self,
        actor: &Actor,
        id: CompanyId,
        patch: CompanyPatch,
    ) -> Result<Company> {
        let mut c = self.get_company(actor, id).await?;
        if patch.name.is_some() || patch.meta_data.is_some() {
            actor.require_admin()?;
        }
        if let Some(t) = patch.analysis_thresholds {
            actor.require_company_settings()?;
            t.validate().map_err(Error::invalid)?;
            c.analysis_thresholds = t;
        }
        if let Some(name) = patch.name {
            c.name = check_name(&name)?;
        }
        if patch.meta_data.is_some() {
            c.meta_data = meta(patch.meta_data)?;
        }
        c.time_updated = now();
        self.store
            .put(repo::company_item(&c), Condition::Exists)
            .await?;
        Ok(c)
    }

    /// Deletes a company that has no users left (ADMIN).
    pub async fn delete_company(&self, actor: &Actor, id: CompanyId) -> Result<()> {
        self.get_company(actor, id).await?;
        actor.require_admin()?;
        let users =
            repo::index_items(&*self.store, &repo::company_users(id), &Range::default()).await?;
        if !users.is_empty() {
            return Err(Error::invalid(format!(
                "company still has {} user(s); delete them first",
                users.len()
            )));
        }
        self.store.delete(&repo::company_pk(id), META).await?;
        self.store
            .delete(&repo::company_pk(id), repo::WEBHOOK_SECRET)
            .await?;
        Ok(())
    }
}

impl App {
    /// The decision thresholds of company `id` (defaults when it has none of its own).
    pub async fn thresholds(&self, id: CompanyId) -> Result<Thresholds> {
        match repo::get_meta::<Company>(&*self.store, &repo::company_pk(id), "company").await {
            Ok(c) => Ok(c.analysis_thresholds),
            Err(Error::NotFound(_)) => Ok(Thresholds::default()),
            Err(e) => Err(e),
        }
    }

    /// The company's webhook signing secret (ADMIN or its CLIENT ADMIN); `rotate` replaces it,
    /// and webhooks sent afterwards are signed with the new one.
    pub async fn company_webhook_secret(
        &self,
        actor: &Actor,
        id: CompanyId,
        rotate: bool,
    ) -> Result<String> {
        self.get_company(actor, id).await?;
        actor.require_company_settings()?;
        if rotate {
            let secret = new_secret();
            self.store
                .put(repo::webhook_secret_item(id, &secret), Condition::None)
                .await?;
            tracing::info!(company_id = %id, "webhook secret rotated");
            return Ok(secret);
        }
        self.webhook_secret(id).await
    }

    /// The secret webhooks of company `id` are signed with, created on first use.
    pub async fn webhook_secret(&self, id: CompanyId) -> Result<String> {
        for _ in 0..3 {
            if let Some(item) = self
                .store
                .get(&repo::company_pk(id), repo::WEBHOOK_SECRET)
                .await?
                && let Some(s) = item.body["secret"].as_str()
            {
                return Ok(s.to_string());
            }
            let secret = new_secret();
            match self
                .store
                .put(repo::webhook_secret_item(id, &secret), Condition::NotExists)
                .await
            {
                Ok(()) => return Ok(secret),
                // Someone else created it first: read theirs.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Unexpected(anyhow::anyhow!(
            "company {id}: webhook secret kept conflicting"
        )))
    }
}

/// A fresh secret: 32 random bytes as hex; receivers use the string itself as the HMAC key.
fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}
