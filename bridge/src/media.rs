//! Customer media, fetched to become Zendesk uploads: only from SunCo's media hosts.
//!
//! A message's `mediaUrl` comes from the customer's side, so the customer controls it. Fetched
//! blindly, it would let a customer make the bridge read loopback, private-network or cloud
//! metadata addresses and post the answer on their own ticket. So a media URL is fetched only
//! when
//!
//! - its scheme is `http` or `https` and its host is on the allow-list: SunCo's media hosts
//!   ([`DEFAULT_MEDIA_HOSTS`], and the account's own `{subdomain}.zendesk.com`, where
//!   Zendesk-hosted SunCo keeps attachments under `/sc/attachments/`), plus the `media_hosts`
//!   setting;
//! - every address its host resolves to is public: loopback, private (RFC 1918, unique local),
//!   link-local (which holds cloud metadata services), unspecified, carrier-grade NAT,
//!   multicast and broadcast addresses are refused, whether written in the URL or answered by
//!   DNS (the connection goes only to the addresses checked, so a second lookup cannot
//!   rebind it);
//! - each redirect passes the same checks (at most 5).
//!
//! A refused or failed fetch is not an error of the reply: the comment carries the URL as text
//! instead (see [`customer_messages`](crate#the-flows)).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// SunCo's media hosts: where SunCo keeps what customers send (legacy US and EU regions).
pub const DEFAULT_MEDIA_HOSTS: &[&str] = &["media.smooch.io", "*.smooch.io"];

/// The largest file the bridge carries from one side to the other (customer media to
/// Zendesk uploads; private agent attachments to SunCo).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// Why a media file was not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The URL, or a redirect, points somewhere the policy does not allow.
    #[error("refused: {0}")]
    Refused(String),
    /// The host answered with an error status.
    #[error("the media host answered {0}")]
    Status(u16),
    /// Larger than the cap.
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// The request failed: DNS, connection, TLS, or the timeout.
    #[error("could not be fetched: {0}")]
    Failed(String),
}

/// A fetched file.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: Option<String>,
}

/// One allow-list entry: `host`, `host:port`, or `*.domain` (any subdomain, any depth).
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostPattern {
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl HostPattern {
    fn parse(entry: &str) -> Option<Self> {
        let entry = entry.trim().to_ascii_lowercase();
        let (host, port) = if let Some(bracketed) = entry.strip_prefix('[') {
            // An IPv6 literal: `[addr]` or `[addr]:port`.
            let (address, rest) = bracketed.split_once(']')?;
            address.parse::<Ipv6Addr>().ok()?;
            let port = match rest {
                "" => None,
                rest => Some(rest.strip_prefix(':')?.parse().ok()?),
            };
            (address.to_owned(), port)
        } else {
            match entry.split_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port.parse().ok()?)),
                None => (entry.clone(), None),
            }
        };
        let (host, wildcard) = match host.strip_prefix("*.") {
            Some(domain) => (domain.to_owned(), true),
            None => (host, false),
        };
        let valid = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
        valid.then_some(Self {
            host,
            wildcard,
            port,
        })
    }

    fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let host_ok = if self.wildcard {
            host.strip_suffix(&self.host)
                .is_some_and(|prefix| prefix.ends_with('.'))
        } else {
            host == self.host
        };
        let port_ok = match self.port {
            Some(port) => url.port_or_known_default() == Some(port),
            None => url.port().is_none(),
        };
        host_ok && port_ok
    }
}

/// Which media URLs the bridge fetches.
#[derive(Debug, Clone)]
pub struct MediaPolicy {
    hosts: Vec<HostPattern>,
    allow_private: bool,
}

impl MediaPolicy {
    /// The default hosts, the account's `zendesk_host` (when known) and `extra` entries
    /// (`host`, `host:port`, `*.domain`); `allow_private` lets them resolve to private and
    /// loopback addresses (local tests only).
    ///
    /// # Errors
    /// The first entry of `extra` that is not a host pattern.
    pub fn new(
        zendesk_host: Option<&str>,
        extra: &[String],
        allow_private: bool,
    ) -> Result<Self, String> {
        let mut hosts: Vec<HostPattern> = DEFAULT_MEDIA_HOSTS
            .iter()
            .filter_map(|entry| HostPattern::parse(entry))
            .collect();
        hosts.extend(zendesk_host.and_then(HostPattern::parse));
        for entry in extra {
            hosts
                .push(HostPattern::parse(entry).ok_or_else(|| format!("`{entry}` is not a host"))?);
        }
        Ok(Self {
            hosts,
            allow_private,
        })
    }

    /// Why `url` may not be fetched, if it may not.
    fn refusal(&self, url: &Url) -> Option<String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Some(format!("the scheme {:?} is not http(s)", url.scheme()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Some("the URL carries credentials".into());
        }
        let host = url.host_str().unwrap_or_default();
        if !self.hosts.iter().any(|pattern| pattern.matches(url)) {
            return Some(format!("{host} is not one of SunCo's media hosts"));
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        match literal {
            Some(ip) if !self.allow_private && !is_public(ip) => {
                Some(format!("{ip} is not a public address"))
            }
            _ => None,
        }
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local (cloud
/// metadata lives there), unspecified, carrier-grade NAT, multicast, broadcast or
/// documentation, in IPv4 or IPv6 (IPv4-mapped and -compatible forms included).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => is_public_v4(mapped),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let compatible_v4 = ip.segments()[..6].iter().all(|segment| *segment == 0);
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || compatible_v4 && !is_public_v4(Ipv4Addr::from_bits(ip.to_bits() as u32)))
}

/// A DNS resolver that answers only public addresses (unless allowed otherwise), so the
/// client never connects anywhere else, whatever a name resolves to.
struct PublicOnly {
    allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| allow_private || is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addresses: Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}

/// Fetches customer media under a [`MediaPolicy`].
#[derive(Debug, Clone)]
pub(crate) struct MediaFetcher {
    http: reqwest::Client,
    policy: Arc<MediaPolicy>,
}

impl MediaFetcher {
    pub(crate) fn new(policy: MediaPolicy, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PublicOnly {
                allow_private: policy.allow_private,
            }))
            .build()?;
        Ok(Self {
            http,
            policy: Arc::new(policy),
        })
    }

    /// Fetches `url`, at most `max_bytes` of it, following allowed redirects.
    pub(crate) async fn fetch(&self, url: &str, max_bytes: u64) -> Result<Media, MediaError> {
        let mut url =
            Url::parse(url).map_err(|error| MediaError::Refused(format!("not a URL ({error})")))?;
        for _ in 0..=MAX_REDIRECTS {
            if let Some(reason) = self.policy.refusal(&url) {
                return Err(MediaError::Refused(reason));
            }
            let mut response = self.http.get(url.clone()).send().await.map_err(failed)?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .ok_or(MediaError::Status(status.as_u16()))?;
                url = url
                    .join(location)
                    .map_err(|error| MediaError::Refused(format!("a bad redirect ({error})")))?;
                continue;
            }
            if !status.is_success() {
                return Err(MediaError::Status(status.as_u16()));
            }
            if response
                .content_length()
                .is_some_and(|length| length > max_bytes)
            {
                return Err(MediaError::TooLarge(max_bytes));
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let mut bytes = BytesMut::new();
            while let Some(chunk) = response.chunk().await.map_err(failed)? {
                if (bytes.len() + chunk.len()) as u64 > max_bytes {
                    return Err(MediaError::TooLarge(max_bytes));
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(Media {
                bytes: bytes.freeze(),
                content_type,
            });
        }
        Err(MediaError::Refused(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }
}

/// A failed request, with its causes (reqwest's own text is only "error sending request").
fn failed(error: reqwest::Error) -> MediaError {
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    MediaError::Failed(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(extra: &[&str], allow_private: bool) -> MediaPolicy {
        let extra: Vec<String> = extra.iter().map(|entry| (*entry).to_owned()).collect();
        MediaPolicy::new(Some("acme.zendesk.com"), &extra, allow_private).unwrap()
    }

    fn refused(policy: &MediaPolicy, url: &str) -> bool {
        policy.refusal(&Url::parse(url).unwrap()).is_some()
    }

    #[test]
    fn only_listed_hosts_are_fetched() {
        let default = policy(&[], false);
        assert!(!refused(&default, "https://media.smooch.io/apps/a/b.jpg"));
        assert!(!refused(
            &default,
            "https://media.eu-1.smooch.io/apps/a/b.jpg"
        ));
        assert!(!refused(
            &default,
            "https://acme.zendesk.com/sc/attachments/v2/01JK/my_file.jpeg"
        ));
        for url in [
            "https://evil.example/x.jpg",
            "https://smooch.io.evil.example/x.jpg",
            "https://evilsmooch.io/x.jpg",
            "https://other.zendesk.com/sc/attachments/x",
            "https://media.smooch.io:8443/x.jpg",
            "ftp://media.smooch.io/x.jpg",
            "file:///etc/passwd",
            "https://user:pass@media.smooch.io/x.jpg",
        ] {
            assert!(refused(&default, url), "{url}");
        }
        let extended = policy(
            &["files.acme.test", "*.cdn.acme.test", "127.0.0.1:9000"],
            false,
        );
        assert!(!refused(&extended, "https://files.acme.test/a.pdf"));
        assert!(!refused(&extended, "https://eu.cdn.acme.test/a.pdf"));
        assert!(refused(&extended, "https://cdn.acme.test.evil/a.pdf"));
        // Listed, but loopback: refused unless private addresses are allowed.
        assert!(refused(&extended, "http://127.0.0.1:9000/a.pdf"));
        let local = policy(&["127.0.0.1:9000"], true);
        assert!(!refused(&local, "http://127.0.0.1:9000/a.pdf"));
        assert!(refused(&local, "http://127.0.0.1:9001/a.pdf"));
        assert!(MediaPolicy::new(None, &["bad:port:x".into()], false).is_err());
    }

    #[test]
    fn private_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
        ] {
            assert!(!is_public(address.parse().unwrap()), "{address}");
        }
        for address in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(address.parse().unwrap()), "{address}");
        }
    }
}
