//! Typed UUID identifiers, so a folder id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident = $what:literal;)*) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// What this id names, for error messages.
            pub const WHAT: &'static str = $what;
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| crate::Error::invalid(format!("{} must be a UUID, got {s:?}", $what)))
            }
        }
    )*};
}

id_type! {
    /// A company (tenant).
    CompanyId = "company_id";
    /// A user.
    UserId = "user_id";
    /// A folder (one verification case).
    FolderId = "folder_id";
    /// A media file in a folder.
    MediaId = "media_id";
    /// A login session.
    SessionId = "session_id";
    /// An analysis of a folder's media.
    AnalysisId = "analysis_id";
    /// A blacklist collection.
    CollectionId = "collection_id";
    /// A person of a collection.
    PersonId = "person_id";
    /// A face image of a person.
    PersonImageId = "person_image_id";
}
