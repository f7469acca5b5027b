//! Who may see and do what. Every service calls these before touching an object, so tenant
//! isolation does not depend on each handler remembering it. Invisible objects answer "not found"
//! (never "forbidden"), so ids of other tenants cannot be probed.

use super::objects::{Folder, User};
use super::{CompanyId, FolderId, Role, SessionId, UserId};
use crate::{Error, Result};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub role: Role,
    pub session_id: SessionId,
    /// A capture session's folder: the caller may do only what a capture page does with it.
    pub folder_scope: Option<FolderId>,
}

impl Actor {
    /// Whether a capture session may make this request (`path` without its query, normalised):
    /// add media to its folder, start and read its analyses, read the folder, find a face in a
    /// camera frame, and log out. Any other request of a capture session is refused (Oz code 9).
    pub fn check_scope(&self, method: &str, path: &str) -> Result<()> {
        let Some(folder) = self.folder_scope else {
            return Ok(());
        };
        let own = format!("/api/folders/{folder}");
        let allowed = match method {
            "GET" => path == own || path == format!("{own}/analyses"),
            "POST" => {
                path == format!("{own}/media")
                    || path == format!("{own}/analyses")
                    || path == "/api/instant/face"
            }
            "DELETE" => path == "/api/authorize/auth",
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "a capture token may only add media to folder {folder}, analyse it and read it"
            )))
        }
    }

    /// The caller may see objects of company `c`.
    pub fn sees_company(&self, c: CompanyId) -> bool {
        self.role.is_global() || c == self.company_id
    }

    /// The caller may see `folder` (and its media).
    pub fn sees_folder(&self, folder: &Folder) -> bool {
        self.sees_company(folder.company_id)
            && (!self.role.sees_own_folders_only() || folder.user_id == self.user_id)
    }

    /// The caller may see `user`.
    pub fn sees_user(&self, user: &User) -> bool {
        match self.role {
            Role::Admin | Role::Operator => true,
            Role::ClientAdmin | Role::ClientOperator => user.company_id == self.company_id,
            Role::Client | Role::ClientService => user.user_id == self.user_id,
        }
    }

    /// Creating folders, uploading media, editing folder and media metadata and tags.
    pub fn require_folder_write(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ClientAdmin | Role::Client | Role::ClientService => Ok(()),
            Role::Operator | Role::ClientOperator => {
                Err(Error::forbidden("operators cannot change folders or media"))
            }
        }
    }

    /// Deleting folders.
    pub fn require_folder_delete(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ClientAdmin => Ok(()),
            _ => Err(Error::forbidden(format!(
                "{} cannot delete folders",
                self.role.as_str()
            ))),
        }
    }

    /// Creating, changing or deleting `target_role` users in `company`.
    pub fn require_user_admin(&self, company: CompanyId, target_role: Role) -> Result<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::ClientAdmin if company != self.company_id => Err(Error::NotFound("company")),
            Role::ClientAdmin if target_role.is_global() => Err(Error::forbidden(
                "CLIENT ADMIN cannot manage ADMIN or OPERATOR users",
            )),
            Role::ClientAdmin => Ok(()),
            _ => Err(Error::forbidden(format!(
                "{} cannot manage users",
                self.role.as_str()
            ))),
        }
    }

    /// Changing a visible company's settings (decision thresholds, webhook secret).
    pub fn require_company_settings(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ClientAdmin => Ok(()),
            _ => Err(Error::forbidden(format!(
                "{} cannot change company settings",
                self.role.as_str()
            ))),
        }
    }

    /// Deciding OPERATOR_REQUIRED analyses (ADMIN cannot change analysis results).
    pub fn require_operator(&self) -> Result<()> {
        match self.role {
            Role::Operator | Role::ClientOperator => Ok(()),
            _ => Err(Error::forbidden(format!(
                "{} cannot decide analyses; operators do",
                self.role.as_str()
            ))),
        }
    }

    /// Reading the persons and person images of a company's blacklists. Every role may list and
    /// read its company's collections (the Oz SDK finds a blacklist by alias before a collection
    /// analysis); clients use the persons only through `collection` analyses, never browse them.
    pub fn require_person_read(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::Operator | Role::ClientAdmin | Role::ClientOperator => Ok(()),
            Role::Client | Role::ClientService => Err(Error::forbidden(format!(
                "{} cannot read the persons of collections",
                self.role.as_str()
            ))),
        }
    }

    /// Creating and deleting collections, persons and person images.
    pub fn require_collection_write(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ClientAdmin => Ok(()),
            _ => Err(Error::forbidden(format!(
                "{} cannot change collections",
                self.role.as_str()
            ))),
        }
    }

    /// Creating, changing or deleting companies.
    pub fn require_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "{} cannot manage companies",
                self.role.as_str()
            )))
        }
    }
}
