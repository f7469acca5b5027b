//! Users: created and managed by ADMIN (anywhere) and CLIENT ADMIN (own company, client roles).

use serde::Deserialize;

use super::auth::{check_password_policy, hash_password};
use super::repo::{self, META};
use super::{App, Page};
use crate::domain::clock::now;
use crate::domain::objects::{Company, MetaData, StoredUser, User};
use crate::domain::{Actor, CompanyId, Role, UserId};
use crate::ports::{Condition, Range, StoreError, Write};
use crate::{Error, Result};

/// Body of `POST /api/users/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub user_type: Option<Role>,
    pub company_id: Option<CompanyId>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub middle_name: String,
    pub is_active: Option<bool>,
    /// Pre-6.0 spelling: `CLIENT` + `is_admin` means CLIENT ADMIN.
    pub is_admin: Option<bool>,
    /// Pre-6.0 spelling: `CLIENT` + `is_service` means CLIENT SERVICE.
    pub is_service: Option<bool>,
    pub can_start_analysis_biometry: Option<bool>,
    pub can_start_analysis_quality: Option<bool>,
    pub can_start_analysis_collection: Option<bool>,
    pub can_start_analysis_documents: Option<bool>,
    pub meta_data: Option<serde_json::Value>,
}

/// Body of `PATCH /api/users/{id}`; absent fields stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub password: Option<String>,
    pub user_type: Option<Role>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub is_active: Option<bool>,
    pub can_start_analysis_biometry: Option<bool>,
    pub can_start_analysis_quality: Option<bool>,
    pub can_start_analysis_collection: Option<bool>,
    pub can_start_analysis_documents: Option<bool>,
    pub meta_data: Option<serde_json::Value>,
}

fn check_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(e)
    } else {
        Err(Error::invalid(format!("{email:?} is not an email address")))
    }
}

fn check_name(field: &str, v: String) -> Result<String> {
    if v.chars().count() > 100 {
        return Err(Error::invalid(format!(
            "{field} is longer than 100 characters"
        )));
    }
    Ok(v)
}

impl App {
    /// Creates the first ADMIN (and a company for it) when no user exists and credentials are set.
    pub async fn bootstrap_admin(&self) -> anyhow::Result<()> {
        if !repo::index_items(&*self.store, &repo::all_users(), &Range::default())
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let Some((email, password)) = self.config.admin.clone() else {
            tracing::warn!(
                "no user exists: set OZ_ADMIN_EMAIL and OZ_ADMIN_PASSWORD and restart to create the first ADMIN, \
                 then log in with POST /api/authorize/auth"
            );
            return Ok(());
        };
        self.create_first_admin(email, password.expose()).await
    }

    /// Creates the ADMIN of `OZ_ADMIN_EMAIL` with a company of its own. Concurrent cold starts
    /// (several Lambda instances at once) all see no user and all get here: the first insert
    /// wins and the others drop the company they made for it.
    async fn create_first_admin(&self, email: String, password: &str) -> anyhow::Result<()> {
        let t = now();
        let company = Company {
            company_id: CompanyId::new(),
            name: "default".into(),
            in_deletion: false,
            meta_data: MetaData::new(),
            technical_meta_data: MetaData::new(),
            analysis_thresholds: Default::default(),
            time_created: t,
            time_updated: t,
        };
        self.store
            .put(repo::company_item(&company), Condition::NotExists)
            .await?;
        let req = NewUser {
            email,
            password: password.to_string(),
            user_type: Some(Role::Admin),
            company_id: Some(company.company_id),
            first_name: "Admin".into(),
            last_name: String::new(),
            middle_name: String::new(),
            is_active: None,
            is_admin: None,
            is_service: None,
            can_start_analysis_biometry: None,
            can_start_analysis_quality: None,
            can_start_analysis_collection: None,
            can_start_analysis_documents: None,
            meta_data: None,
        };
        match self.insert_user(req, company.company_id, Role::Admin).await {
            Ok(user) => {
                tracing::info!(email = %user.email, "created the first ADMIN from OZ_ADMIN_EMAIL");
                Ok(())
            }
            Err(Error::AlreadyExists(_)) => {
                self.store
                    .delete(&repo::company_pk(company.company_id), META)
                    .await?;
                Ok(())
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }

    /// Creates a user.
    pub async fn create_user(&self, actor: &Actor, req: NewUser) -> Result<User> {
        let mut role = req.user_type.unwrap_or(Role::Client);
        if role == Role::Client && req.is_admin == Some(true) {
            role = Role::ClientAdmin;
        } else if role == Role::Client && req.is_service == Some(true) {
            role = Role::ClientService;
        }
        let company = req.company_id.unwrap_or(actor.company_id);
        self.get_company(actor, company).await?;
        actor.require_user_admin(company, role)?;
        self.insert_user(req, company, role).await
    }

    async fn insert_user(&self, req: NewUser, company: CompanyId, role: Role) -> Result<User> {
        check_password_policy(&req.password)?;
        let t = now();
        let flag = |v: Option<bool>| v.unwrap_or(true);
        let user = User {
            user_id: UserId::new(),
            company_id: company,
            email: check_email(&req.email)?,
            first_name: check_name("first_name", req.first_name)?,
            last_name: check_name("last_name", req.last_name)?,
            middle_name: check_name("middle_name", req.middle_name)?,
            user_type: role,
            is_active: flag(req.is_active),
            can_start_analysis_biometry: flag(req.can_start_analysis_biometry),
            can_start_analysis_quality: flag(req.can_start_analysis_quality),
            can_start_analysis_collection: flag(req.can_start_analysis_collection),
            can_start_analysis_documents: flag(req.can_start_analysis_documents),
            meta_data: req
                .meta_data
                .map(crate::domain::metadata::parse)
                .transpose()?
                .unwrap_or_default(),
            technical_meta_data: MetaData::new(),
            time_created: t,
            time_updated: t,
        };
        let stored = StoredUser {
            password_hash: hash_password(&req.password)?,
            user: user.clone(),
        };
        self.store
            .transact(vec![
                Write::Put(
                    repo::email_item(&user.email, user.user_id),
                    Condition::NotExists,
                ),
                Write::Put(repo::user_item(&stored), Condition::NotExists),
            ])
            .await
            .map_err(|e| match e {
                StoreError::Conflict => {
                    Error::AlreadyExists(format!("a user with email {} already exists", user.email))
                }
                other => other.into(),
            })?;
        Ok(user)
    }

    async fn stored_user(&self, actor: &Actor, id: UserId) -> Result<StoredUser> {
        let u: StoredUser = repo::get_meta(&*self.store, &repo::user_pk(id), "user").await?;
        if actor.sees_user(&u.user) {
            Ok(u)
        } else {
            Err(Error::NotFound("user"))
        }
    }

    /// The user, if the caller may see it.
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        Ok(self.stored_user(actor, id).await?.user)
    }

    /// Users the caller may see, newest first; ADMIN and OPERATOR may narrow to one company.
    pub async fn list_users(
        &self,
        actor: &Actor,
        company: Option<CompanyId>,
        page: Page,
    ) -> Result<(Vec<User>, usize)> {
        let newest = Range {
            descending: true,
            ..Range::default()
        };
        let stored: Vec<StoredUser> = match (actor.role, company) {
            (Role::Admin | Role::Operator, None) => {
                repo::list_index(&*self.store, &repo::all_users(), &newest).await?
            }
            (_, Some(c)) if actor.sees_company(c) => {
                repo::list_index(&*self.store, &repo::company_users(c), &newest).await?
            }
            (_, Some(_)) => Vec::new(),
            (_, None) => {
                let index = repo::company_users(actor.company_id);
                repo::list_index(&*self.store, &index, &newest).await?
            }
        };
        let visible = stored
            .into_iter()
            .map(|s| s.user)
            .filter(|u| actor.sees_user(u))
            .collect();
        Ok(page.apply(visible))
    }

    /// Changes a user. Users may change their own names and password; the rest needs user admin rights.
    pub async fn update_user(&self, actor: &Actor, id: UserId, p: UserPatch) -> Result<User> {
        let mut s = self.stored_user(actor, id).await?;
        let admin_fields = p.email.is_some()
            || p.user_type.is_some()
            || p.is_active.is_some()
            || p.can_start_analysis_biometry.is_some()
            || p.can_start_analysis_quality.is_some()
            || p.can_start_analysis_collection.is_some()
            || p.can_start_analysis_documents.is_some();
        if admin_fields || id != actor.user_id {
            actor.require_user_admin(s.user.company_id, s.user.user_type)?;
            if let Some(r) = p.user_type {
                actor.require_user_admin(s.user.company_id, r)?;
            }
        }
        let old_email = s.user.email.clone();
        let u = &mut s.user;
        if let Some(e) = p.email {
            u.email = check_email(&e)?;
        }
        for (field, value, slot) in [
            ("first_name", p.first_name, &mut u.first_name),
            ("last_name", p.last_name, &mut u.last_name),
            ("middle_name", p.middle_name, &mut u.middle_name),
        ] {
            if let Some(v) = value {
                *slot = check_name(field, v)?;
            }
        }
        u.user_type = p.user_type.unwrap_or(u.user_type);
        u.is_active = p.is_active.unwrap_or(u.is_active);
        u.can_start_analysis_biometry = p
            .can_start_analysis_biometry
            .unwrap_or(u.can_start_analysis_biometry);
        u.can_start_analysis_quality = p
            .can_start_analysis_quality
            .unwrap_or(u.can_start_analysis_quality);
        u.can_start_analysis_collection = p
            .can_start_analysis_collection
            .unwrap_or(u.can_start_analysis_collection);
        u.can_start_analysis_documents = p
            .can_start_analysis_documents
            .unwrap_or(u.can_start_analysis_documents);
        if let Some(m) = p.meta_data {
            u.meta_data = crate::domain::metadata::parse(m)?;
        }
        u.time_updated = now();
        let revoke = p.password.is_some() || !u.is_active;
        if let Some(pw) = &p.password {
            check_password_policy(pw)?;
            s.password_hash = hash_password(pw)?;
        }
        let mut writes = vec![Write::Put(repo::user_item(&s), Condition::Exists)];
        if s.user.email != old_email {
            writes.push(Write::Put(
                repo::email_item(&s.user.email, s.user.user_id),
                Condition::NotExists,
            ));
            writes.push(Write::Delete {
                pk: repo::email_pk(&old_email),
                sk: META.into(),
            });
        }
        self.store.transact(writes).await.map_err(|e| match e {
            StoreError::Conflict => {
                Error::AlreadyExists(format!("a user with email {} already exists", s.user.email))
            }
            other => other.into(),
        })?;
        if revoke {
            self.revoke_sessions(id).await?;
        }
        Ok(s.user)
    }

    /// Deletes a user and closes their sessions.
    pub async fn delete_user(&self, actor: &Actor, id: UserId) -> Result<()> {
        let s = self.stored_user(actor, id).await?;
        actor.require_user_admin(s.user.company_id, s.user.user_type)?;
        if id == actor.user_id {
            return Err(Error::invalid("users cannot delete themselves"));
        }
        self.store
            .transact(vec![
                Write::Delete {
                    pk: repo::user_pk(id),
                    sk: META.into(),
                },
                Write::Delete {
                    pk: repo::email_pk(&s.user.email),
                    sk: META.into(),
                },
            ])
            .await?;
        self.revoke_sessions(id).await
    }

    /// Replaces or merges a user's `meta_data` (the user or a user admin).
    pub async fn save_user_meta(
        &self,
        actor: &Actor,
        id: UserId,
        md: MetaData,
    ) -> Result<MetaData> {
        let mut s = self.stored_user(actor, id).await?;
        if id != actor.user_id {
            actor.require_user_admin(s.user.company_id, s.user.user_type)?;
        }
        s.user.meta_data = md;
        s.user.time_updated = now();
        self.store
            .put(repo::user_item(&s), Condition::Exists)
            .await?;
        Ok(s.user.meta_data)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, SecretString};
    use crate::ports::Range;

    #[tokio::test]
    async fn a_second_instance_creating_the_first_admin_leaves_one_admin_and_one_company() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::from_env().unwrap();
        config.data_dir = dir.path().into();
        config.admin = Some((
            "admin@example.com".into(),
            SecretString::from("admin-password-1"),
        ));
        let app = crate::wiring::local(config, "http://127.0.0.1".into())
            .await
            .unwrap();
        // What an instance that started before the first one's insert does.
        app.create_first_admin("admin@example.com".into(), "admin-password-1")
            .await
            .unwrap();
        let count = |index| {
            let app = app.clone();
            async move {
                super::repo::index_items(&*app.store, &index, &Range::default())
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(count(super::repo::all_users()).await, 1);
        assert_eq!(count(super::repo::all_companies()).await, 1);
    }
}
