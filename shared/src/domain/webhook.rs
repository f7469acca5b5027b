//! Webhooks: which destinations may receive them, how a delivery is signed, how long to wait
//! between attempts, and the delivery record kept per request (shown on its analyses).
//!
//! Destinations are checked twice: when analyses start (the URL and any literal address) and
//! before every attempt (every address the name resolves to), so neither a typo nor a DNS record
//! pointing at the instance metadata service turns the API into a proxy into its own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{AnalysisId, CompanyId, FolderId};

/// Which webhook destinations are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationPolicy {
    /// Cloud deployments: `https` to public addresses only.
    Strict,
    /// A developer's machine: also plain `http` to loopback (still never link-local or metadata
    /// addresses).
    Local,
}

impl std::str::FromStr for DestinationPolicy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, UnknownPolicy> {
        match s.to_ascii_lowercase().as_str() {
            "strict" => Ok(Self::Strict),
            "local" => Ok(Self::Local),
            _ => Err(UnknownPolicy),
        }
    }
}

/// An `OZ_WEBHOOK_POLICY` value other than `strict` or `local`.
#[derive(Debug, thiserror::Error)]
#[error("expected `strict` or `local`")]
pub struct UnknownPolicy;

/// Longest `resolution_endpoint` accepted.
pub const MAX_ENDPOINT_LEN: usize = 2048;

/// A destination that passed the URL checks: where to connect and what to ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub url: url::Url,
    /// Host name (or literal address) to resolve.
    pub host: String,
    pub port: u16,
}

/// Checks `endpoint`'s form under `policy`: absolute `https` (or, locally, `http` to loopback),
/// no credentials, and no literal address that is never allowed. Names are resolved (and their
/// addresses checked with [`check_address`]) at send time.
pub fn check_endpoint(endpoint: &str, policy: DestinationPolicy) -> Result<Destination, String> {
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(format!(
            "resolution_endpoint is longer than {MAX_ENDPOINT_LEN} characters"
        ));
    }
    let url = url::Url::parse(endpoint)
        .map_err(|e| format!("resolution_endpoint is not an absolute URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("resolution_endpoint must not carry credentials".into());
    }
    let scheme = url.scheme().to_string();
    let scheme = scheme.as_str();
    if scheme != "https" && scheme != "http" {
        return Err("resolution_endpoint must be an https URL".into());
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err("resolution_endpoint has no host".into()),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let d = Destination { url, host, port };
    if let Ok(ip) = d.host.parse::<IpAddr>() {
        check_address(ip, scheme, policy)?;
    } else if d.host == "localhost" || d.host.ends_with(".localhost") {
        check_address(IpAddr::V4(Ipv4Addr::LOCALHOST), scheme, policy)?;
    } else if scheme == "http" {
        return Err(plain_http_refused(policy));
    }
    Ok(d)
}

fn plain_http_refused(policy: DestinationPolicy) -> String {
    match policy {
        DestinationPolicy::Strict => "resolution_endpoint must be an https URL".into(),
        DestinationPolicy::Local => {
            "resolution_endpoint must be https (plain http only to loopback)".into()
        }
    }
}

/// Checks one address a destination resolved to, for a request with `scheme`.
pub fn check_address(ip: IpAddr, scheme: &str, policy: DestinationPolicy) -> Result<(), String> {
    let ip = match ip {
        // An IPv4-mapped IPv6 address reaches the IPv4 host: judge that one.
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if never_allowed(ip) {
        return Err(format!(
            "resolution_endpoint address {ip} is link-local, metadata, multicast or unspecified"
        ));
    }
    let loopback = ip.is_loopback();
    match policy {
        DestinationPolicy::Strict if loopback || private(ip) => Err(format!(
            "resolution_endpoint address {ip} is not a public address"
        )),
        DestinationPolicy::Strict if scheme != "https" => Err(plain_http_refused(policy)),
        DestinationPolicy::Local if scheme != "https" && !loopback => {
            Err(plain_http_refused(policy))
        }
        _ => Ok(()),
    }
}

/// Addresses no deployment may call: link-local (incl. the cloud metadata services),
/// unspecified, multicast, broadcast, "this network".
fn never_allowed(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            let aws_metadata = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
            v6 == aws_metadata
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.is_unspecified()
                || v6.is_multicast()
        }
    }
}

/// Private and shared address space (RFC 1918, RFC 6598, unique-local IPv6).
fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// The `X-Signature` header value for `body` sent at unix time `t`:
/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &[u8], t: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delay before the next attempt after `failed` failed attempts: `base`, doubled per further
/// failure, capped at `max`.
pub fn retry_delay(failed: u32, base: Duration, max: Duration) -> Duration {
    let factor = 1u32 << failed.saturating_sub(1).min(16);
    base.saturating_mul(factor).min(max)
}

/// Where a request's webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Queued,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt failed (the message is parked in the dead-letter queue), or the destination
    /// is not allowed.
    Failed,
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub time: f64,
    /// The HTTP status answered, if any.
    pub status_code: Option<u16>,
    /// Why no acceptable answer came (timeout, refused destination, connection error).
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// The webhook of one request (the analyses started together): one per request, created when
/// the last of them ends, so a duplicated job never queues a second one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub group_id: AnalysisId,
    pub folder_id: FolderId,
    pub company_id: CompanyId,
    pub endpoint: String,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    pub time_created: f64,
    pub time_updated: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use DestinationPolicy::{Local, Strict};

    #[test]
    fn strict_takes_public_https_only() {
        assert!(check_endpoint("https://hooks.example.com/oz?x=1", Strict).is_ok());
        assert!(check_endpoint("https://93.184.216.34:8443/h", Strict).is_ok());
        for bad in [
            "http://hooks.example.com/oz",
            "https://127.0.0.1/h",
            "https://localhost:9000/h",
            "https://10.0.0.5/h",
            "https://172.16.1.1/h",
            "https://192.168.1.1/h",
            "https://100.64.0.1/h",
            "https://[::1]/h",
            "https://[fc00::1]/h",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fd00:ec2::254]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[::ffff:127.0.0.1]/",
            "https://0.0.0.0/",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "hooks.example.com/oz",
            "",
        ] {
            assert!(check_endpoint(bad, Strict).is_err(), "{bad} accepted");
        }
        let long = format!("https://h.example.com/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(check_endpoint(&long, Strict).is_err());
    }

    #[test]
    fn local_adds_plain_http_to_loopback_but_never_metadata() {
        for ok in [
            "http://127.0.0.1:9000/h",
            "http://localhost:9000/h",
            "http://[::1]:9000/h",
            "https://192.168.1.1/h",
            "https://hooks.example.com/h",
        ] {
            assert!(check_endpoint(ok, Local).is_ok(), "{ok} refused");
        }
        for bad in [
            "http://hooks.example.com/h",
            "http://192.168.1.1/h",
            "http://169.254.169.254/latest/meta-data/",
            "https://169.254.169.254/",
            "http://[fe80::1]/",
            "http://224.0.0.1/",
        ] {
            assert!(check_endpoint(bad, Local).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn resolved_addresses_are_judged_like_literal_ones() {
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(check_address(metadata, "https", Local).is_err());
        assert!(check_address("127.0.0.1".parse().unwrap(), "https", Strict).is_err());
        assert!(check_address("127.0.0.1".parse().unwrap(), "http", Local).is_ok());
        assert!(check_address("8.8.8.8".parse().unwrap(), "https", Strict).is_ok());
    }

    #[test]
    fn signature_is_hmac_of_time_dot_body() {
        // Reference value: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        let sig = signature(b"secret", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(
            sig,
            "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        assert_ne!(sig, signature(b"other", 1_700_000_000, br#"{"a":1}"#));
        assert_ne!(sig, signature(b"secret", 1_700_000_001, br#"{"a":1}"#));
    }

    #[test]
    fn retries_back_off_exponentially_to_a_cap() {
        let (b, m) = (Duration::from_secs(10), Duration::from_secs(900));
        let d: Vec<u64> = (1..=9).map(|n| retry_delay(n, b, m).as_secs()).collect();
        assert_eq!(d, [10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(retry_delay(0, b, m), b);
    }
}
