//! Domain types and rules, free of HTTP and AWS: ids, roles and who may do what, tags, and the
//! objects of the Oz API (companies, users, folders, media, analyses).

pub mod access;
pub mod analysis;
pub mod clock;
pub mod collection;
pub mod ids;
pub mod media;
pub mod metadata;
pub mod objects;
pub mod role;
pub mod signing;
pub mod tags;
pub mod template;
pub mod webhook;

pub use access::Actor;
pub use ids::{
    AnalysisId, CollectionId, CompanyId, FolderId, MediaId, PersonId, PersonImageId, SessionId,
    UserId,
};
pub use role::Role;

/// `value` trimmed, when it is not blank and at most `max` characters as sent: the bound the API
/// document states, so padding cannot carry a value past it.
pub fn trimmed_within(value: &str, max: usize) -> Option<&str> {
    let trimmed = value.trim();
    (!trimmed.is_empty() && value.chars().count() <= max).then_some(trimmed)
}
