//! The six Oz roles and how they are spelled on the wire.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A user's role (`user_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Operator,
    Client,
    ClientAdmin,
    ClientOperator,
    ClientService,
}

impl Role {
    /// Every role, for tests and validation messages.
    pub const ALL: [Role; 6] = [
        Self::Admin,
        Self::Operator,
        Self::Client,
        Self::ClientAdmin,
        Self::ClientOperator,
        Self::ClientService,
    ];

    /// The spelling used in responses (`"CLIENT ADMIN"`, with a space).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::Operator => "OPERATOR",
            Self::Client => "CLIENT",
            Self::ClientAdmin => "CLIENT ADMIN",
            Self::ClientOperator => "CLIENT OPERATOR",
            Self::ClientService => "CLIENT SERVICE",
        }
    }

    /// Accepts the spaced and the underscore spellings, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        let norm = s.trim().to_ascii_uppercase().replace('_', " ");
        Self::ALL.into_iter().find(|r| r.as_str() == norm)
    }

    /// Roles that act across every company.
    pub fn is_global(self) -> bool {
        matches!(self, Self::Admin | Self::Operator)
    }

    /// Roles that see only the folders their own user created.
    pub fn sees_own_folders_only(self) -> bool {
        matches!(self, Self::Client | Self::ClientService)
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown user_type {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Role::parse("CLIENT ADMIN"), Some(Role::ClientAdmin));
        assert_eq!(Role::parse("client_service"), Some(Role::ClientService));
        assert_eq!(Role::parse("ROOT"), None);
        assert_eq!(
            serde_json::to_string(&Role::ClientOperator).unwrap(),
            "\"CLIENT OPERATOR\""
        );
    }
}
