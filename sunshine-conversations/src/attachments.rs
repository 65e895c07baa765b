//! Attachments: upload a file and get a `mediaUrl` to send in an image or file message.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Attachments>

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
}
