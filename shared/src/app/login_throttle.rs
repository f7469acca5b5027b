//! Wrong-password throttling. Failed logins are counted in the store (so every Lambda instance
//! sees the same counts) per account and per client address, in a window that opens with the
//! first failure and closes [`LoginThrottle::window`] later (the counter item expires then). At
//! the limit, logins are refused before the password is checked — Oz code 101, HTTP 429 with
//! `Retry-After` — until the window closes: a lockout that also spares the password hasher. A
//! successful login clears its account's count; an address's count only expires.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::App;
use super::repo::{self, META};
use crate::config::LoginThrottle;
use crate::domain::clock::now_secs;
use crate::ports::{Condition, Item, StoreError};
use crate::{Error, Result};

/// A counter item's body.
#[derive(Debug, Serialize, Deserialize)]
struct Failures {
    count: u32,
    /// Unix seconds of the first failure of the window.
    since: i64,
}

/// How often a failure is recorded again after another request moved the counter first.
const WRITE_RETRIES: usize = 4;

/// The counters a login for `email` from `addr` is checked against, each with its limit.
fn counters(policy: &LoginThrottle, email: &str, addr: Option<IpAddr>) -> Vec<(String, u32)> {
    let mut out = vec![(
        repo::account_failures_pk(email),
        policy.max_account_failures,
    )];
    if let Some(a) = addr {
        out.push((repo::address_failures_pk(a), policy.max_address_failures));
    }
    out
}

impl App {
    async fn failures(&self, pk: &str) -> Result<Option<Failures>> {
        match self.store.get(pk, META).await? {
            None => Ok(None),
            Some(item) => Ok(serde_json::from_value(item.body).ok()),
        }
    }

    /// Refuses the login while the account or the address is at its limit.
    pub(crate) async fn check_login_throttle(
        &self,
        email: &str,
        addr: Option<IpAddr>,
    ) -> Result<()> {
        let policy = self.config.login;
        let now = now_secs();
        for (pk, max) in counters(&policy, email, addr) {
            if let Some(f) = self.failures(&pk).await? {
                let ends = f.since + policy.window.as_secs() as i64;
                if f.count >= max && now < ends {
                    tracing::warn!(counter = %pk, failures = f.count, "login throttled");
                    return Err(Error::Throttled((ends - now) as u64));
                }
            }
        }
        Ok(())
    }

    /// Counts one wrong login against the account and the address.
    pub(crate) async fn record_login_failure(
        &self,
        email: &str,
        addr: Option<IpAddr>,
    ) -> Result<()> {
        let policy = self.config.login;
        for (pk, _) in counters(&policy, email, addr) {
            self.bump(&pk, &policy).await?;
        }
        Ok(())
    }

    /// Forgets the account's failures after a correct password.
    pub(crate) async fn clear_login_failures(&self, email: &str) -> Result<()> {
        self.store
            .delete(&repo::account_failures_pk(email), META)
            .await?;
        Ok(())
    }

    async fn bump(&self, pk: &str, policy: &LoginThrottle) -> Result<()> {
        for _ in 0..WRITE_RETRIES {
            let now = now_secs();
            let (next, cond) = match self.failures(pk).await? {
                None => (
                    Failures {
                        count: 1,
                        since: now,
                    },
                    Condition::NotExists,
                ),
                Some(f) => (
                    Failures {
                        count: f.count.saturating_add(1),
                        since: f.since,
                    },
                    Condition::FieldEquals("count".into(), f.count.into()),
                ),
            };
            let expires = next.since + policy.window.as_secs() as i64;
            let body = serde_json::to_value(&next).map_err(anyhow::Error::from)?;
            let item = Item::new(pk, META, body).expiring(expires);
            match self.store.put(item, cond).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        // Others counted failures in the meantime: the limit is reached anyway.
        Ok(())
    }
}
