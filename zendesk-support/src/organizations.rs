//! Organizations: create, read, update, delete one or many, search, autocomplete, merge,
//! and what belongs to one (related counts, subscriptions).
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{NewOrganization, OrganizationUpdate};
//!
//! let acme = client
//!     .organizations()
//!     .create_or_update(&NewOrganization::new("Acme").external_id("crm-17").domain("acme.test"))
//!     .await?;
//! let update = OrganizationUpdate::default().notes("Enterprise plan");
//! client.organizations().update(acme.id, &update).await?;
//! let found = client.organizations().search_by_external_id("crm-17").await?;
//! assert_eq!(found[0].id, acme.id);
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Call;
use crate::envelope::Keyed;
use crate::open_enum::null_as_default;
use crate::pagination::{List, Paging};
use crate::{Client, Count, Error, JobStatus, Result};

/// An organization.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Organization {
    /// Its id.
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Its unique name.
    #[serde(default)]
    pub name: Option<String>,
    /// Details such as the address.
    #[serde(default)]
    pub details: Option<String>,
    /// Notes about it.
    #[serde(default)]
    pub notes: Option<String>,
    /// Your own id for it (case-insensitive in Zendesk).
    #[serde(default)]
    pub external_id: Option<String>,
    /// The group new tickets of its users go to.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Email domains whose users join it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub domain_names: Vec<String>,
    /// Its tags.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    /// Its users see each other's tickets.
    #[serde(default)]
    pub shared_tickets: Option<bool>,
    /// Its users may comment on each other's tickets.
    #[serde(default)]
    pub shared_comments: Option<bool>,
    /// Custom organization fields, by key.
    #[serde(default)]
    pub organization_fields: Option<Map<String, Value>>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// The fields of an organization to set; those not set stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OrganizationUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Details such as the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Your own id for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The group new tickets of its users go to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// Email domains (replace the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_names: Option<Vec<String>>,
    /// Tags (replace the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Its users see each other's tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_tickets: Option<bool>,
    /// Its users may comment on each other's tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_comments: Option<bool>,
    /// Custom field values to set, by key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_fields: Option<Map<String, Value>>,
}

impl OrganizationUpdate {
    /// Sets the notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = Some(notes.into());
        self
    }

    /// Sets the details.
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// Sets the tags (replacing the old).
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = Some(tags.iter().map(|tag| (*tag).to_owned()).collect());
        self
    }

    /// Sets the group new tickets go to.
    pub fn group_id(mut self, group_id: i64) -> Self {
        self.group_id = Some(group_id);
        self
    }

    /// Sets one custom field.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.organization_fields
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
}

/// A new organization: a name and any other fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewOrganization {
    /// Its unique name.
    pub name: String,
    /// The other fields.
    #[serde(flatten)]
    pub fields: OrganizationUpdate,
}

impl NewOrganization {
    /// An organization named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            fields: OrganizationUpdate::default(),
        }
    }

    /// With your own id for it.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.fields.external_id = Some(external_id.into());
        self
    }

    /// With an email domain whose users join it.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.fields
            .domain_names
            .get_or_insert_with(Vec::new)
            .push(domain.into());
        self
    }

    /// With any other fields.
    pub fn fields(mut self, fields: OrganizationUpdate) -> Self {
        self.fields = fields;
        self
    }
}

/// Counts of what belongs to an organization.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrganizationRelated {
    /// Its tickets.
    #[serde(default)]
    pub tickets_count: u64,
    /// Its users.
    #[serde(default)]
    pub users_count: u64,
}

/// A merge of one organization (the loser) into another (the winner).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrganizationMerge {
    /// Its id.
    pub id: String,
    /// The organization merged away.
    #[serde(default)]
    pub loser_id: Option<i64>,
    /// The organization that remains.
    #[serde(default)]
    pub winner_id: Option<i64>,
    /// `new`, `in_progress`, `error` or `complete`.
    #[serde(default)]
    pub status: Option<String>,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// A user subscribed to an organization's tickets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrganizationSubscription {
    /// Its id.
    pub id: i64,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
    /// The user.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// When it was made.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
}

/// Organizations that bulk calls name: by Zendesk id or by your external id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationIds<'a> {
    /// Zendesk ids.
    Ids(&'a [i64]),
    /// External ids.
    ExternalIds(&'a [&'a str]),
}

impl OrganizationIds<'_> {
    fn query(&self) -> Result<(&'static str, String)> {
        let (name, joined, len) = match self {
            OrganizationIds::Ids(ids) => ("ids", crate::client::join_ids(ids), ids.len()),
            OrganizationIds::ExternalIds(ids) => ("external_ids", ids.join(","), ids.len()),
        };
        crate::client::check_many("organization", len)?;
        Ok((name, joined))
    }
}

/// Organization calls: `client.organizations()`.
#[derive(Debug, Clone, Copy)]
pub struct Organizations<'c> {
    client: &'c Client,
}

impl Client {
    /// Organization calls.
    pub fn organizations(&self) -> Organizations<'_> {
        Organizations { client: self }
    }
}

impl<'c> Organizations<'c> {
    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("api/v2/organizations{path}"))
    }

    /// Every organization of the account.
    pub fn list(&self) -> List<'c, Organization> {
        List::new(
            self.client,
            "api/v2/organizations",
            "organizations",
            Paging::Cursor,
        )
    }

    /// The organizations a user belongs to.
    pub fn list_for_user(&self, user_id: i64) -> List<'c, Organization> {
        List::new(
            self.client,
            format!("api/v2/users/{user_id}/organizations"),
            "organizations",
            Paging::Cursor,
        )
    }

    /// How many organizations the account has.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count(&self) -> Result<Count> {
        self.client.count("api/v2/organizations/count", &[]).await
    }

    /// How many organizations a user belongs to.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count_for_user(&self, user_id: i64) -> Result<Count> {
        self.client
            .count(&format!("api/v2/users/{user_id}/organizations/count"), &[])
            .await
    }

    /// Reads an organization.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, id: i64) -> Result<Organization> {
        let call = Call::new(Method::GET, self.url(&format!("/{id}"))?);
        self.client.fetch(call, "organization").await
    }

    /// Reads up to 100 organizations by id or external id.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn get_many(&self, ids: OrganizationIds<'_>) -> Result<Vec<Organization>> {
        let (name, value) = ids.query()?;
        let mut url = self.url("/show_many")?;
        url.query_pairs_mut().append_pair(name, &value);
        self.client
            .fetch_list::<Organization>(Call::new(Method::GET, url), "organizations")
            .await
    }

    /// Creates an organization. Not retried after an ambiguous failure (it could create
    /// two): [`create_or_update`](Self::create_or_update) with an external id is safe to
    /// repeat.
    ///
    /// # Errors
    /// A 422 [`Error::Api`] when the name is taken; see [`Error`].
    pub async fn create(&self, organization: &NewOrganization) -> Result<Organization> {
        check_name(&organization.name)?;
        let call =
            Call::new(Method::POST, self.url("")?).json(&Keyed("organization", organization))?;
        self.client.fetch(call, "organization").await
    }

    /// Creates the organization, or updates the one with the same id or external id. Safe
    /// to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn create_or_update(&self, organization: &NewOrganization) -> Result<Organization> {
        check_name(&organization.name)?;
        let call = Call::new(Method::POST, self.url("/create_or_update")?)
            .json(&Keyed("organization", organization))?
            .idempotent(true);
        self.client.fetch(call, "organization").await
    }

    /// Creates up to 100 organizations in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn create_many(&self, organizations: &[NewOrganization]) -> Result<JobStatus> {
        crate::client::check_many("organization", organizations.len())?;
        for organization in organizations {
            check_name(&organization.name)?;
        }
        let call = Call::new(Method::POST, self.url("/create_many")?)
            .json(&Keyed("organizations", organizations))?;
        self.client.fetch(call, "job_status").await
    }

    /// Changes an organization. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &OrganizationUpdate) -> Result<Organization> {
        let call = Call::new(Method::PUT, self.url(&format!("/{id}"))?)
            .json(&Keyed("organization", update))?
            .idempotent(true);
        self.client.fetch(call, "organization").await
    }

    /// Makes the same change to up to 100 organizations, in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn update_many(
        &self,
        ids: OrganizationIds<'_>,
        update: &OrganizationUpdate,
    ) -> Result<JobStatus> {
        let (name, value) = ids.query()?;
        let mut url = self.url("/update_many")?;
        url.query_pairs_mut().append_pair(name, &value);
        let call = Call::new(Method::PUT, url)
            .json(&Keyed("organization", update))?
            .idempotent(true);
        self.client.fetch(call, "job_status").await
    }

    /// Makes a different change to each of up to 100 organizations, in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn update_each(&self, updates: &[(i64, OrganizationUpdate)]) -> Result<JobStatus> {
        crate::client::check_many("organization", updates.len())?;
        let body = crate::envelope::with_ids(updates);
        let call = Call::new(Method::PUT, self.url("/update_many")?)
            .json(&Keyed("organizations", &body))?
            .idempotent(true);
        self.client.fetch(call, "job_status").await
    }

    /// Deletes an organization.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, id: i64) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(&format!("/{id}"))?);
        self.client.execute(call).await
    }

    /// Deletes up to 100 organizations in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn destroy_many(&self, ids: &[i64]) -> Result<JobStatus> {
        self.destroy_many_by(OrganizationIds::Ids(ids)).await
    }

    /// Deletes up to 100 organizations, by id or external id, in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn destroy_many_by(&self, ids: OrganizationIds<'_>) -> Result<JobStatus> {
        let (name, value) = ids.query()?;
        let mut url = self.url("/destroy_many")?;
        url.query_pairs_mut().append_pair(name, &value);
        self.client
            .fetch(Call::new(Method::DELETE, url), "job_status")
            .await
    }

    /// The organization with this external id (case-insensitive), as a list (empty when
    /// none).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn search_by_external_id(&self, external_id: &str) -> Result<Vec<Organization>> {
        self.search("external_id", external_id).await
    }

    /// The organization with this exact name, as a list (empty when none).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn search_by_name(&self, name: &str) -> Result<Vec<Organization>> {
        self.search("name", name).await
    }

    async fn search(&self, by: &'static str, value: &str) -> Result<Vec<Organization>> {
        if value.is_empty() {
            return Err(Error::Config(format!("the {by} to search for is empty")));
        }
        List::new(
            self.client,
            "api/v2/organizations/search",
            "organizations",
            Paging::Offset,
        )
        .param(by, value)
        .all()
        .await
    }

    /// Organizations whose name starts with `name` (at least 2 characters).
    pub fn autocomplete(&self, name: &str) -> List<'c, Organization> {
        List::new(
            self.client,
            "api/v2/organizations/autocomplete",
            "organizations",
            Paging::Offset,
        )
        .param("name", name)
    }

    /// How many tickets and users belong to an organization.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn related(&self, id: i64) -> Result<OrganizationRelated> {
        let call = Call::new(Method::GET, self.url(&format!("/{id}/related"))?);
        self.client.fetch(call, "organization_related").await
    }

    /// Merges organization `loser_id` into `winner_id`: its users, tickets and domains move
    /// and it is deleted. Runs in the background: poll [`get_merge`](Self::get_merge).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn merge(&self, loser_id: i64, winner_id: i64) -> Result<OrganizationMerge> {
        #[derive(Serialize)]
        struct Winner {
            winner_id: i64,
        }
        let call = Call::new(Method::POST, self.url(&format!("/{loser_id}/merge"))?)
            .json(&Keyed("organization_merge", &Winner { winner_id }))?;
        self.client.fetch(call, "organization_merge").await
    }

    /// Reads a merge.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get_merge(&self, merge_id: &str) -> Result<OrganizationMerge> {
        let url = self.client.url(&format!(
            "api/v2/organization_merges/{}",
            crate::client::path_segment(merge_id)
        ))?;
        self.client
            .fetch(Call::new(Method::GET, url), "organization_merge")
            .await
    }

    /// The merges an organization took part in.
    pub fn merges(&self, id: i64) -> List<'c, OrganizationMerge> {
        List::new(
            self.client,
            format!("api/v2/organizations/{id}/merges"),
            "organization_merges",
            Paging::Cursor,
        )
    }

    /// The users subscribed to an organization's tickets.
    pub fn subscriptions(&self, id: i64) -> List<'c, OrganizationSubscription> {
        List::new(
            self.client,
            format!("api/v2/organizations/{id}/subscriptions"),
            "organization_subscriptions",
            Paging::Cursor,
        )
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::Config("an organization needs a name".into()));
    }
    Ok(())
}
