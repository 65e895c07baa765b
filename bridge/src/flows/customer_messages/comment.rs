//! The comment a customer's message becomes: its text, and its media copied into Zendesk
//! uploads (fetched only from SunCo's media hosts, see [`media`](crate::media)).

use sunshine_conversations::{Content, MediaContent};
use zendesk_support::NewComment;

use super::PARAGRAPH;
use crate::Result;
use crate::context::Context;
use crate::media::MAX_FILE_BYTES;

/// The comment a message becomes: its text, and its media uploaded to Zendesk (or linked
/// by URL when `upload_attachments` is false). A file that cannot be carried (refused by
/// the media policy, gone, too big, too slow, refused by Zendesk's uploads) is named and
/// linked in the text instead, with a line saying so: the comment itself still goes.
/// `None` for content the bridge does not carry (carousels, forms, ...).
pub(super) async fn comment_from(
    context: &Context,
    content: &Content,
    requester_id: i64,
) -> Result<Option<NewComment>> {
    let (text, media): (Option<&str>, Option<&MediaContent>) = match content {
        Content::Text(text) => (text.text.as_deref(), None),
        Content::Image(media) | Content::File(media) => (media.text.as_deref(), Some(media)),
        _ => return Ok(None),
    };
    let mut body = text.map(str::trim).unwrap_or_default().to_owned();
    let mut uploads = Vec::new();
    if let Some(media) = media {
        let carried = if context.config.upload_attachments {
            upload_media(context, media).await?
        } else {
            Carried::Linked
        };
        let link = match carried {
            Carried::Uploaded(token) => {
                uploads.push(token);
                None
            }
            Carried::Linked => Some(media.media_url.clone()),
            Carried::Missing(reason) => {
                tracing::info!(reason = %reason, "customer media not attached; linked instead");
                Some(format!(
                    "{}: {}\n(The file could not be attached: {reason}.)",
                    file_name(media),
                    media.media_url
                ))
            }
        };
        if let Some(link) = link {
            if !body.is_empty() {
                body.push_str(PARAGRAPH);
            }
            body.push_str(&link);
        }
    }
    if body.is_empty() && uploads.is_empty() {
        return Ok(None);
    }
    if body.is_empty() {
        body = "(attachment)".to_owned();
    }
    let mut comment = NewComment::text(body).author(requester_id);
    comment.uploads = uploads;
    Ok(Some(comment))
}

/// Copies a customer's media into a Zendesk upload (size-capped). A failure of the file
/// (the fetch, or Zendesk refusing it) answers why; a failure of Zendesk's uploads API
/// itself (5xx, 429, a timeout, our credentials) is an error, retried with the reply.
async fn upload_media(context: &Context, media: &MediaContent) -> Result<Carried> {
    let download = match context.media.fetch(&media.media_url, MAX_FILE_BYTES).await {
        Ok(download) => download,
        Err(error) => return Ok(Carried::Missing(error.to_string())),
    };
    let content_type = media
        .media_type
        .clone()
        .or(download.content_type)
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let uploaded = context
        .zendesk
        .uploads()
        .upload(&file_name(media), &content_type, download.bytes)
        .await;
    match uploaded {
        Ok(upload) => Ok(Carried::Uploaded(upload.token)),
        Err(error)
            if matches!(error, zendesk_support::Error::TooLarge { .. })
                || error.status().is_some_and(|status| {
                    (400..500).contains(&status) && !matches!(status, 401 | 403 | 408 | 409 | 429)
                }) =>
        {
            Ok(Carried::Missing(format!(
                "Zendesk refused the upload ({error})"
            )))
        }
        Err(error) => Err(error.into()),
    }
}

/// What became of a customer's file.
enum Carried {
    /// Uploaded to Zendesk: the upload token.
    Uploaded(String),
    /// Linked by URL, as `upload_attachments: false` asks.
    Linked,
    /// Could not be carried: why.
    Missing(String),
}

/// The file name a media URL ends with, or `attachment`.
fn file_name(media: &MediaContent) -> String {
    media
        .media_url
        .rsplit('/')
        .next()
        .and_then(|name| name.split(['?', '#']).next())
        .filter(|name| !name.is_empty())
        .unwrap_or("attachment")
        .to_owned()
}
