//! Login, token refresh with rotation, logout, and turning a token into an [`Actor`].
//!
//! An access token is an HS256 JWT (algorithm pinned; `exp`, `iat`, `jti`, `iss`, `aud` checked)
//! naming a session. The session item carries the sliding idle expiry, so a token can be revoked
//! (logout, refresh, user deleted) and its life extended without issuing a new JWT.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::App;
use super::repo::{self, META};
use crate::domain::clock::now_secs;
use crate::domain::objects::{Session, StoredUser, User};
use crate::domain::{Actor, FolderId, Role, SessionId, UserId};
use crate::ports::Condition;
use crate::{Error, Result};

const ISSUER: &str = "oz-api";
const AUDIENCE: &str = "oz-api";

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub sid: SessionId,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Signs and verifies access tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// What a successful login or refresh returns.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub expire_token: String,
    /// When the session idles out (Unix seconds), unless used before.
    pub expire_date: i64,
    pub user: User,
}

impl Tokens {
    /// Keys from an HMAC secret.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub(crate) fn issue(&self, s: &Session) -> Result<String> {
        let now = now_secs();
        let claims = Claims {
            sub: s.user_id,
            sid: s.session_id,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            // The JWT may live as long as its refresh token; the session's sliding expiry is the
            // tighter bound and is checked on every request.
            exp: s.refresh_expires_at.max(s.expires_at),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Unexpected(anyhow::anyhow!("signing token: {e}")))
    }

    /// Verifies signature, algorithm, issuer and audience; `check_exp` also enforces `exp`.
    pub fn verify(&self, token: &str, check_exp: bool) -> Result<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.leeway = 0;
        v.validate_exp = check_exp;
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &v) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(Error::AuthExpired),
            Err(e) => Err(Error::AuthInvalid(format!("invalid access token: {e}"))),
        }
    }
}

/// 32 random bytes, base64url: a refresh token.
fn random_token() -> String {
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        rand::random::<[u8; 32]>(),
    )
}

/// The caller as the session and its user make it.
fn actor(session: &Session, user: &StoredUser) -> Actor {
    Actor {
        user_id: user.user.user_id,
        company_id: user.user.company_id,
        role: user.user.user_type,
        session_id: session.session_id,
        folder_scope: session.folder_scope,
    }
}

/// What `POST /api/authorize/capture` answers: a token for one folder's capture.
#[derive(Debug, Serialize)]
pub struct CaptureToken {
    pub access_token: String,
    /// When the token stops working (Unix seconds); it is not extended by use.
    pub expire_date: i64,
    pub folder_id: FolderId,
}

/// Argon2id hash of a password, in PHC string form.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("hashing password: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks the password policy: 8 to 256 characters.
pub fn check_password_policy(password: &str) -> Result<()> {
    let n = password.chars().count();
    if !(8..=256).contains(&n) {
        return Err(Error::invalid("password must be 8 to 256 characters long"));
    }
    Ok(())
}

fn refresh_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl App {
    /// Finds the user behind an email and password and opens a session. Wrong passwords are
    /// counted per account and per `client` address (see [`super::login_throttle`]).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<TokenPair> {
        self.check_login_throttle(email, client).await?;
        let result = self.check_password(email, password).await;
        match &result {
            Err(Error::WrongCredentials) => self.record_login_failure(email, client).await?,
            Ok(_) => self.clear_login_failures(email).await?,
            Err(_) => {}
        }
        self.open_session(result?, None).await
    }

    /// The active user behind `email` if `password` is theirs.
    async fn check_password(&self, email: &str, password: &str) -> Result<User> {
        let bad = || Error::WrongCredentials;
        let user = match self.store.get(&repo::email_pk(email), META).await? {
            Some(claim) => {
                let id: UserId =
                    serde_json::from_value(claim.body["user_id"].clone()).map_err(|_| bad())?;
                match repo::get_meta::<StoredUser>(&*self.store, &repo::user_pk(id), "user").await {
                    Ok(u) => Some(u),
                    Err(Error::NotFound(_)) => None,
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        let Some(user) = user else {
            // Spend the same time as a real check, so response time does not reveal which emails exist.
            let _ = verify_password(password, &DUMMY_HASH);
            return Err(bad());
        };
        if !verify_password(password, &user.password_hash) {
            return Err(bad());
        }
        if !user.user.is_active {
            return Err(Error::UserBlocked);
        }
        Ok(user.user)
    }

    async fn open_session(&self, user: User, replaces: Option<SessionId>) -> Result<TokenPair> {
        let now = now_secs();
        let long_lived = user.user_type == Role::ClientService;
        let ttl = if long_lived {
            self.config.session_longlive_ttl
        } else {
            self.config.session_ttl
        };
        let refresh_token = random_token();
        let session = Session {
            session_id: SessionId::new(),
            user_id: user.user_id,
            expires_at: now + ttl.as_secs() as i64,
            refresh_expires_at: now + ttl.max(self.config.refresh_ttl).as_secs() as i64,
            refresh_hash: refresh_hash(&refresh_token),
            replaces,
            refreshed: false,
            long_lived,
            folder_scope: None,
        };
        Ok(TokenPair {
            access_token: self.store_session(&session).await?,
            expire_token: refresh_token,
            expire_date: session.expires_at,
            user,
        })
    }

    /// Stores a new session and signs its access token.
    async fn store_session(&self, session: &Session) -> Result<String> {
        self.store
            .put(repo::session_item(session), Condition::NotExists)
            .await?;
        self.tokens.issue(session)
    }

    // A missing session or user means the token is dead; a store that cannot answer does not
    // (the client should retry, not log in again), so only `NotFound` becomes `AuthInvalid`.
    async fn session(&self, id: SessionId) -> Result<Session> {
        repo::get_meta(&*self.store, &repo::session_pk(id), "session")
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::AuthInvalid("session is closed".into()),
                other => other,
            })
    }

    /// The session's user, if it still exists and is active.
    async fn active_user(&self, id: UserId) -> Result<StoredUser> {
        let user: StoredUser = repo::get_meta(&*self.store, &repo::user_pk(id), "user")
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::AuthInvalid("user no longer exists".into()),
                other => other,
            })?;
        if !user.user.is_active {
            return Err(Error::UserBlocked);
        }
        Ok(user)
    }

    /// The live session and active user an access token names; reads only.
    async fn verified_session(&self, token: &str) -> Result<(Session, StoredUser)> {
        let claims = self.tokens.verify(token, true)?;
        let session = self.session(claims.sid).await?;
        if session.user_id != claims.sub {
            return Err(Error::AuthInvalid(
                "token does not match its session".into(),
            ));
        }
        if now_secs() >= session.expires_at {
            return Err(Error::AuthExpired);
        }
        let user = self.active_user(session.user_id).await?;
        Ok((session, user))
    }

    /// Turns an access token into the calling [`Actor`] without writing anything: the expiry is
    /// checked but not slid, and a refreshed pair does not retire the pair it replaced (the next
    /// ordinary request does). For the Instant API, which must leave no trace.
    pub async fn authenticate_read_only(&self, token: &str) -> Result<Actor> {
        let (session, user) = self.verified_session(token).await?;
        Ok(actor(&session, &user))
    }

    /// Turns an access token into the calling [`Actor`], sliding the session's expiry forward.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        let (mut session, user) = self.verified_session(token).await?;
        if session.folder_scope.is_some() {
            // A capture session ends when it was issued to end; it does not slide.
            return Ok(actor(&session, &user));
        }
        let now = now_secs();
        let ttl = if session.long_lived {
            self.config.session_longlive_ttl
        } else {
            self.config.session_ttl
        };
        let slid = now + ttl.as_secs() as i64;
        // First use of a refreshed pair retires the pair it replaced; writes are throttled to
        // one per 10 s of sliding so that reads stay reads.
        if let Some(old) = session.replaces.take() {
            self.store.delete(&repo::session_pk(old), META).await?;
            session.expires_at = slid;
            self.store
                .put(repo::session_item(&session), Condition::Exists)
                .await?;
        } else if slid - session.expires_at >= 10 {
            session.expires_at = slid;
            self.store
                .put(repo::session_item(&session), Condition::Exists)
                .await?;
        }
        Ok(actor(&session, &user))
    }

    /// Exchanges an `expire_token` (with its, possibly expired, access token) for a new pair.
    /// The refresh token is single-use; the old pair keeps working until the new one is used.
    pub async fn refresh(&self, access_token: &str, expire_token: &str) -> Result<TokenPair> {
        let claims = self.tokens.verify(access_token, false)?;
        let session = self.session(claims.sid).await?;
        if session.refreshed
            || session.folder_scope.is_some()
            || !constant_time_eq(&session.refresh_hash, &refresh_hash(expire_token))
        {
            return Err(Error::AuthInvalid(
                "expire_token is not valid for this session".into(),
            ));
        }
        if now_secs() >= session.refresh_expires_at {
            return Err(Error::AuthExpired);
        }
        let user = self.active_user(session.user_id).await?;
        let spent = Session {
            refreshed: true,
            ..session.clone()
        };
        // Conditional on `refreshed == false`: two concurrent refreshes cannot both succeed.
        self.store
            .put(
                repo::session_item(&spent),
                Condition::FieldEquals("refreshed".into(), false.into()),
            )
            .await
            .map_err(|_| Error::AuthInvalid("expire_token was already used".into()))?;
        self.open_session(user.user, Some(session.session_id)).await
    }

    /// A capture token for `folder`, or for a new empty folder of the caller's (with
    /// `folder_meta`), living `ttl` (60 s to 1 h). The caller must be able to write folders.
    pub async fn capture_token(
        &self,
        actor: &Actor,
        folder: Option<FolderId>,
        folder_meta: Option<crate::domain::objects::MetaData>,
        ttl: std::time::Duration,
    ) -> Result<CaptureToken> {
        actor.require_folder_write()?;
        if !(60..=3600).contains(&ttl.as_secs()) {
            return Err(Error::invalid("ttl must be between 60 and 3600 seconds"));
        }
        let folder = match folder {
            Some(id) => {
                if folder_meta.is_some() {
                    return Err(Error::invalid(
                        "meta_data is for the new folder; the folder named by folder_id keeps its own",
                    ));
                }
                self.get_folder(actor, id).await?.folder_id
            }
            None => {
                let upload = super::media::Upload {
                    folder_meta,
                    ..Default::default()
                };
                self.create_folder(actor, upload).await?.folder.folder_id
            }
        };
        self.open_capture_session(actor, folder, ttl).await
    }

    /// Opens a capture session for `folder` on behalf of `actor` (**ours**): an access token
    /// that may only add media to that folder, analyse and read it (see
    /// [`Actor::check_scope`]), ending after `ttl` without sliding or refresh. What an
    /// integrator's backend hands to a browser instead of its own credentials.
    async fn open_capture_session(
        &self,
        actor: &Actor,
        folder: FolderId,
        ttl: std::time::Duration,
    ) -> Result<CaptureToken> {
        let now = now_secs();
        let expires_at = now + ttl.as_secs() as i64;
        let session = Session {
            session_id: SessionId::new(),
            user_id: actor.user_id,
            expires_at,
            refresh_expires_at: expires_at,
            // Nobody holds a refresh token for it: the hash of fresh random bytes.
            refresh_hash: refresh_hash(&random_token()),
            replaces: None,
            refreshed: false,
            long_lived: false,
            folder_scope: Some(folder),
        };
        Ok(CaptureToken {
            access_token: self.store_session(&session).await?,
            expire_date: expires_at,
            folder_id: folder,
        })
    }

    /// Closes the caller's session.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        self.store
            .delete(&repo::session_pk(actor.session_id), META)
            .await?;
        Ok(())
    }

    /// Closes every session of a user (deleted, deactivated or password changed).
    pub async fn revoke_sessions(&self, user: UserId) -> Result<()> {
        let sessions = repo::user_sessions(user);
        for item in repo::index_items(&*self.store, &sessions, &Default::default()).await? {
            self.store.delete(&item.pk, &item.sk).await?;
        }
        Ok(())
    }
}

/// A hash with the real parameters, verified against when the email is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h) && !verify_password("wrong horse", &h));
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
        let t = Tokens::new(b"secret-secret-secret-secret-1234");
        let s = Session {
            session_id: SessionId::new(),
            user_id: UserId::new(),
            expires_at: now_secs() + 60,
            refresh_expires_at: now_secs() + 120,
            refresh_hash: String::new(),
            replaces: None,
            refreshed: false,
            long_lived: false,
            folder_scope: None,
        };
        let jwt = t.issue(&s).unwrap();
        assert_eq!(t.verify(&jwt, true).unwrap().sid, s.session_id);
        assert!(matches!(
            Tokens::new(b"another-key").verify(&jwt, true),
            Err(Error::AuthInvalid(_))
        ));
        let expired = t
            .issue(&Session {
                expires_at: 1,
                refresh_expires_at: 1,
                ..s.clone()
            })
            .unwrap();
        assert!(matches!(t.verify(&expired, true), Err(Error::AuthExpired)));
        assert!(t.verify(&expired, false).is_ok());
    }
}
