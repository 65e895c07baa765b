//! Attachments: upload a file and get a `mediaUrl` to send in an image or file message.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Attachments>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! let png: Vec<u8> = std::fs::read("receipt.png").unwrap_or_default();
//! let uploaded = client.attachments().upload("receipt.png", "image/png", png).await?;
//! // ... send it in an image message, and later:
//! client.attachments().remove(&uploaded.media_url).await?;
//! # Ok(()) }
//! ```

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;

use crate::client::{Body, Call, decode};
use crate::{Client, Error, Result};

/// An uploaded file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Where it can be fetched; put it in [`NewContent::image`](crate::NewContent::image) or
    /// [`NewContent::file`](crate::NewContent::file).
    pub media_url: String,
    /// Its MIME type.
    #[serde(default)]
    pub media_type: Option<String>,
}

#[derive(Deserialize)]
struct AttachmentEnvelope {
    attachment: Attachment,
}

/// Attachment calls: `client.attachments()`.
#[derive(Debug, Clone, Copy)]
pub struct Attachments<'c> {
    client: &'c Client,
}

impl Client {
    /// Attachment calls.
    pub fn attachments(&self) -> Attachments<'_> {
        Attachments { client: self }
    }
}

impl Attachments<'_> {
    /// Uploads a file (multipart field `source`) with public access, so the customer's
    /// messenger can show it. A repeated upload only leaves an unused copy, so this is
    /// retried after ambiguous failures.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty file name or a bad MIME type; see [`Error`].
    pub async fn upload(
        &self,
        file_name: &str,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<Attachment> {
        if file_name.trim().is_empty() {
            return Err(Error::Config("an attachment needs a file name".into()));
        }
        let url = self
            .client
            .app_url(&["attachments"], Some("access=public"))?;
        let mut call = Call::new(Method::POST, url).idempotent(true);
        call.body = Body::File {
            bytes: bytes.into(),
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
        };
        let envelope: AttachmentEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.attachment)
    }

    /// Deletes an uploaded file by its `mediaUrl`; messages that show it show it no more.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty URL; see [`Error`].
    pub async fn remove(&self, media_url: &str) -> Result<()> {
        if media_url.trim().is_empty() {
            return Err(Error::Config("the media URL is empty".into()));
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Removal<'a> {
            media_url: &'a str,
        }
        let url = self.client.app_url(&["attachments", "remove"], None)?;
        let call = Call::new(Method::POST, url)
            .json(&Removal { media_url })?
            .idempotent(true);
        self.client.execute(call).await
    }
}
