//! HMAC-SHA256 signatures with an expiry, for URLs that grant access without a session token.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::clock::now_secs;

/// Signs and checks `(subject, expiry)` pairs with one secret.
#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
}

impl UrlSigner {
    /// A signer over `key` (at least 32 random bytes).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, subject: &str, exp: u64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(subject.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        mac
    }

    /// `(expiry unix seconds, hex signature)` for `subject`, valid for `ttl`.
    pub fn sign(&self, subject: &str, ttl: Duration) -> (u64, String) {
        let exp = now_secs() as u64 + ttl.as_secs();
        (
            exp,
            hex::encode(self.mac(subject, exp).finalize().into_bytes()),
        )
    }

    /// True when `sig` signs `(subject, exp)` and `exp` has not passed. Constant-time comparison.
    pub fn verify(&self, subject: &str, exp: u64, sig: &str) -> bool {
        let Ok(sig) = hex::decode(sig) else {
            return false;
        };
        exp >= now_secs() as u64 && self.mac(subject, exp).verify_slice(&sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_binds_subject_and_expiry() {
        let s = UrlSigner::new(b"k");
        let (exp, sig) = s.sign("a/b", Duration::from_secs(60));
        assert!(s.verify("a/b", exp, &sig));
        assert!(!s.verify("a/c", exp, &sig));
        assert!(!s.verify("a/b", exp + 1, &sig));
        assert!(!UrlSigner::new(b"other").verify("a/b", exp, &sig));
        assert!(
            !s.verify(
                "a/b",
                1,
                &hex::encode(s.mac("a/b", 1).finalize().into_bytes())
            ),
            "expired"
        );
    }
}
