//! Uploads (files to attach to a comment) and attachment downloads.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{NewComment, TicketUpdate};
//!
//! let upload = client.uploads().upload("receipt.png", "image/png", vec![0u8; 16]).await?;
//! let comment = NewComment::text("Your receipt").upload(upload.token);
//! client.tickets().update(4021, &TicketUpdate::comment(comment)).await?;
//! # Ok(()) }
//! ```

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::Method;
use serde::Deserialize;
use url::Url;

use crate::client::{Body, Call, decode, sensitive_header};
use crate::comments::Attachment;
use crate::{Client, Error, Result};

/// A finished upload: attach it to a comment with its token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Upload {
    /// The token to put in [`NewComment::uploads`](crate::NewComment::uploads).
    pub token: String,
    /// The attachment it became.
    pub attachment: Option<Attachment>,
}

#[derive(Deserialize)]
struct UploadEnvelope {
    upload: Upload,
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Download {
    /// The content.
    pub bytes: Bytes,
    /// The `Content-Type` the server gave.
    pub content_type: Option<String>,
}

/// Redirects a download follows at most (Zendesk redirects attachments to a file host).
const MAX_REDIRECTS: usize = 5;

/// Upload and download calls: `client.uploads()`.
#[derive(Debug, Clone, Copy)]
pub struct Uploads<'c> {
    client: &'c Client,
}

impl Client {
    /// Upload and attachment download calls.
    pub fn uploads(&self) -> Uploads<'_> {
        Uploads { client: self }
    }
}

impl Uploads<'_> {
    /// Uploads a file with its real content type; answers the token to attach.
    ///
    /// A repeated upload only leaves an unused token (Zendesk drops it after 3 days), so this
    /// is retried after ambiguous failures.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty file name; see [`Error`].
    pub async fn upload(
        &self,
        file_name: &str,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<Upload> {
        if file_name.trim().is_empty() {
            return Err(Error::Config("an upload needs a file name".into()));
        }
        let mut url = self.client.url("api/v2/uploads")?;
        url.query_pairs_mut().append_pair("filename", file_name);
        let mut call = Call::new(Method::POST, url).idempotent(true);
        call.body = Body::Raw {
            bytes: bytes.into(),
            content_type: content_type.to_owned(),
        };
        let envelope: UploadEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.upload)
    }

    /// Downloads an attachment, at most `max_bytes` of it.
    ///
    /// The credentials go only to the account's own host (the client's base URL); a URL or
    /// redirect elsewhere is fetched without them. Redirects are followed up to 5 times.
    ///
    /// # Errors
    /// [`Error::TooLarge`] past `max_bytes`, [`Error::Config`] for a URL that is not http(s);
    /// see [`Error`].
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Download> {
        let mut url = Url::parse(url)
            .map_err(|error| Error::Config(format!("attachment URL {url:?}: {error}")))?;
        for _ in 0..=MAX_REDIRECTS {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(Error::Config(format!(
                    "attachment URL scheme {:?} is not http(s)",
                    url.scheme()
                )));
            }
            let mut request = self.client.http().request(Method::GET, url.clone());
            if self.client.is_own_host(&url) {
                let credentials = self.client.auth_header().await?;
                request = request.header(AUTHORIZATION, sensitive_header(&credentials)?);
            }
            let mut response = request
                .send()
                .await
                .map_err(|error| Error::Http(error.without_url()))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .ok_or_else(|| Error::Config("a redirect without a Location".into()))?;
                url = url
                    .join(location)
                    .map_err(|error| Error::Config(format!("redirect {location:?}: {error}")))?;
                continue;
            }
            if !status.is_success() {
                let body = response.bytes().await.unwrap_or_default();
                return Err(Error::Api(Box::new(crate::ApiError::parse(
                    status.as_u16(),
                    &body,
                    None,
                    None,
                ))));
            }
            if response
                .content_length()
                .is_some_and(|length| length > max_bytes)
            {
                return Err(Error::TooLarge { limit: max_bytes });
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let mut bytes = BytesMut::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| Error::Http(error.without_url()))?
            {
                if (bytes.len() + chunk.len()) as u64 > max_bytes {
                    return Err(Error::TooLarge { limit: max_bytes });
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(Download {
                bytes: bytes.freeze(),
                content_type,
            });
        }
        Err(Error::Config(format!(
            "more than {MAX_REDIRECTS} redirects downloading an attachment"
        )))
    }
}

impl Uploads<'_> {
    /// Deletes an upload not yet attached to a comment, by its token.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, token: &str) -> Result<()> {
        if token.is_empty() {
            return Err(Error::Config("the upload token is empty".into()));
        }
        let url = self.client.url(&format!(
            "api/v2/uploads/{}",
            crate::client::path_segment(token)
        ))?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Reads an attachment.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn attachment(&self, id: i64) -> Result<Attachment> {
        let url = self.client.url(&format!("api/v2/attachments/{id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "attachment")
            .await
    }

    /// Lets agents download an attachment Zendesk flagged as malware (`true`), or stops
    /// them again (`false`).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn override_malware_block(&self, id: i64, allow: bool) -> Result<Attachment> {
        #[derive(serde::Serialize)]
        struct Override {
            malware_access_override: bool,
        }
        let url = self.client.url(&format!("api/v2/attachments/{id}"))?;
        let call = Call::new(Method::PUT, url)
            .json(&crate::envelope::Keyed(
                "attachment",
                &Override {
                    malware_access_override: allow,
                },
            ))?
            .idempotent(true);
        self.client.fetch(call, "attachment").await
    }

    /// Deletes an attachment (of a ticket comment, for good).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete_attachment(&self, id: i64) -> Result<()> {
        let url = self.client.url(&format!("api/v2/attachments/{id}"))?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Replaces a comment's attachment with an empty `redacted.txt`, for good.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn redact_attachment(
        &self,
        ticket_id: i64,
        comment_id: i64,
        attachment_id: i64,
    ) -> Result<Attachment> {
        let url = self.client.url(&format!(
            "api/v2/tickets/{ticket_id}/comments/{comment_id}/attachments/{attachment_id}/redact"
        ))?;
        self.client
            .fetch(Call::new(Method::PUT, url).idempotent(true), "attachment")
            .await
    }
}
