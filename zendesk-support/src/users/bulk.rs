//! Users created, updated or deleted one at a time or by the hundred, merges, sign-outs,
//! user creation requests, and organization memberships.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, check_many};
use crate::envelope::Keyed;
use crate::{Error, JobStatus, NewUser, Result, User, UserUpdate, Users};

/// A user's membership of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrganizationMembership {
    /// Its id.
    pub id: i64,
    /// The user.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
    /// Whether it is the user's default organization.
    #[serde(default)]
    pub default: Option<bool>,
    /// When it was made.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
}

impl Users<'_> {
    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("api/v2/users{path}"))
    }

    /// Creates a user. Not retried after an ambiguous failure (it could create two):
    /// [`create_or_update`](Self::create_or_update) is safe to repeat.
    ///
    /// # Errors
    /// [`Error::Config`] without a name; see [`Error`].
    pub async fn create(&self, user: &NewUser) -> Result<User> {
        check_name(user)?;
        let call = Call::new(Method::POST, self.url("")?).json(&Keyed("user", user))?;
        self.client.fetch(call, "user").await
    }

    /// Creates up to 100 users in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100 or a user without a name; see [`Error`].
    pub async fn create_many(&self, users: &[NewUser]) -> Result<JobStatus> {
        check_many("user", users.len())?;
        users.iter().try_for_each(check_name)?;
        let call =
            Call::new(Method::POST, self.url("/create_many")?).json(&Keyed("users", users))?;
        self.client.fetch(call, "job_status").await
    }

    /// Creates or updates (matched by email or external id) up to 100 users in a
    /// background job. Safe to repeat.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn create_or_update_many(&self, users: &[NewUser]) -> Result<JobStatus> {
        check_many("user", users.len())?;
        let call = Call::new(Method::POST, self.url("/create_or_update_many")?)
            .json(&Keyed("users", users))?
            .idempotent(true);
        self.client.fetch(call, "job_status").await
    }

    /// Changes a user. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &UserUpdate) -> Result<User> {
        let call = Call::new(Method::PUT, self.url(&format!("/{id}"))?)
            .json(&Keyed("user", update))?
            .idempotent(true);
        self.client.fetch(call, "user").await
    }

    /// Makes the same change to up to 100 users in a background job. Safe to repeat.
    ///
    /// # Errors
    /// [`Error::Config`] for none or more than 100; see [`Error`].
    pub async fn update_many(&self, ids: &[i64], update: &UserUpdate) -> Result<JobStatus> {
        let mut url = self.url("/update_many")?;
        url.query_pairs_mut().append_pair("ids", &ids_query(ids)?);
        let call = Call::new(Method::PUT, url)
            .json(&Keyed("user", update))?
            .idempotent(true);
        self.client.fetch(call, "job_status").await
    }

    /// Makes a different change to each of up to 100 users in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn update_each(&self, updates: &[(i64, UserUpdate)]) -> Result<JobStatus> {
        check_many("user", updates.len())?;
        let body = crate::envelope::with_ids(updates);
        let call = Call::new(Method::PUT, self.url("/update_many")?)
            .json(&Keyed("users", &body))?
            .idempotent(true);
        self.client.fetch(call, "job_status").await
    }

    /// Deletes a user (soft: see [`delete_permanently`](Self::delete_permanently)); answers
    /// what remains of them.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, id: i64) -> Result<User> {
        let call = Call::new(Method::DELETE, self.url(&format!("/{id}"))?);
        self.client.fetch(call, "user").await
    }

    /// Deletes up to 100 users in a background job.
    ///
    /// # Errors
    /// [`Error::Config`] for none or more than 100; see [`Error`].
    pub async fn destroy_many(&self, ids: &[i64]) -> Result<JobStatus> {
        let mut url = self.url("/destroy_many")?;
        url.query_pairs_mut().append_pair("ids", &ids_query(ids)?);
        self.client
            .fetch(Call::new(Method::DELETE, url), "job_status")
            .await
    }

    /// Signs up to 100 users out of every session (Zendesk accepts it with a 202 and
    /// does it in the background).
    ///
    /// # Errors
    /// [`Error::Config`] for none or more than 100; see [`Error`].
    pub async fn logout_many(&self, ids: &[i64]) -> Result<()> {
        let mut url = self.url("/logout_many")?;
        url.query_pairs_mut().append_pair("ids", &ids_query(ids)?);
        self.client
            .execute(Call::new(Method::POST, url).idempotent(true))
            .await
    }

    /// Merges the end user `id` into the end user `into`: tickets, identities and
    /// memberships move; `id` is deleted. Answers the user that remains.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn merge(&self, id: i64, into: i64) -> Result<User> {
        #[derive(Serialize)]
        struct Into {
            id: i64,
        }
        let call = Call::new(Method::PUT, self.url(&format!("/{id}/merge"))?)
            .json(&Keyed("user", &Into { id: into }))?;
        self.client.fetch(call, "user").await
    }

    /// Asks the account's admins to create a user (for agents who may not).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn request_create(&self, user: &NewUser) -> Result<()> {
        check_name(user)?;
        let call =
            Call::new(Method::POST, self.url("/request_create")?).json(&Keyed("user", user))?;
        self.client.execute(call).await
    }

    /// Adds a user to an organization.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn add_to_organization(
        &self,
        id: i64,
        organization_id: i64,
    ) -> Result<OrganizationMembership> {
        #[derive(Serialize)]
        struct Membership {
            user_id: i64,
            organization_id: i64,
        }
        let call = Call::new(
            Method::POST,
            self.url(&format!("/{id}/organization_memberships"))?,
        )
        .json(&Keyed(
            "organization_membership",
            &Membership {
                user_id: id,
                organization_id,
            },
        ))?;
        self.client.fetch(call, "organization_membership").await
    }

    /// Takes a user out of an organization, by membership id.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn remove_from_organization(&self, id: i64, membership_id: i64) -> Result<()> {
        let call = Call::new(
            Method::DELETE,
            self.url(&format!("/{id}/organization_memberships/{membership_id}"))?,
        );
        self.client.execute(call).await
    }
}

fn check_name(user: &NewUser) -> Result<()> {
    if user.name.trim().is_empty() {
        return Err(Error::Config("a user needs a name".into()));
    }
    Ok(())
}

fn ids_query(ids: &[i64]) -> Result<String> {
    crate::client::ids_param("user", ids)
}
