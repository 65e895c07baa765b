//! [`Config`]: Meya's Zendesk Support integration settings, plus the SunCo app's, loaded in
//! layers (a Meya YAML block, a TOML file, the environment) and checked all at once.
//!
//! ```
//! use zendesk_sunco_bridge::config::Config;
//!
//! let config = Config::loader()
//!     .toml(r#"
//!         subdomain = "acme"
//!         bot_agent_email = "bot@acme.com"
//!         bot_agent_api_token = "zd-token"
//!         target_password = "hook-password"
//!         webhook_signing_secret = "signing-secret"
//!         markdown = true
//!         unlink_ticket_status = ["closed", "solved"]
//!
//!         [filter]
//!         rx_unhandled_ticket = "ticket.tags:sunco_send"
//!
//!         [sunshine_conversations]
//!         app_id = "5ebee0975ac5304b664a12fa"
//!         key_id = "app_5ebee0975ac5"
//!         key_secret = "sunco-secret"
//!         webhook_secret = "sunco-webhook-secret"
//!     "#)?
//!     .build()?;
//! assert!(config.markdown);
//! assert!(config.extract_html_links); // Meya's default
//! # Ok::<(), zendesk_sunco_bridge::config::ConfigError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};
use zendesk_support::TicketStatus;

use crate::filter::Filter;
use crate::media::MediaPolicy;

/// When a customer's message reopens a linked ticket that is pending, on hold or solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AutoReopen {
    /// Always.
    Always,
    /// Never.
    Never,
    /// Only while the thread is in agent mode (an agent started it): Meya's default.
    Agent,
}

/// How the bridge authenticates to Zendesk.
#[derive(Clone)]
#[non_exhaustive]
pub enum ZendeskAuth {
    /// `bot_agent_email` and `bot_agent_api_token` (legacy: Zendesk switches API tokens off
    /// on 2027-04-30).
    ApiToken {
        /// The bot agent's email.
        email: String,
        /// Its API token.
        token: SecretString,
    },
    /// OAuth client credentials (`oauth_client_id`, `oauth_client_secret`).
    OAuth {
        /// The OAuth client id.
        client_id: String,
        /// The OAuth client secret.
        client_secret: SecretString,
    },
}

impl fmt::Debug for ZendeskAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZendeskAuth::ApiToken { email, .. } => f
                .debug_struct("ApiToken")
                .field("email", email)
                .field("token", &"[redacted]")
                .finish(),
            ZendeskAuth::OAuth { client_id, .. } => f
                .debug_struct("OAuth")
                .field("client_id", client_id)
                .field("client_secret", &"[redacted]")
                .finish(),
        }
    }
}

/// Where the SunCo API is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SunCoHost {
    /// The Zendesk account's own SunCo, `https://{subdomain}.zendesk.com/sc` (the default).
    Zendesk(String),
    /// Legacy Smooch, US.
    SmoochUs,
    /// Legacy Smooch, EU.
    SmoochEu,
    /// Any base URL (a local fake, a proxy).
    BaseUrl(String),
}

/// The SunCo app the bridge talks to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SunCoConfig {
    /// The app id.
    pub app_id: String,
    /// The API key id (`app_...`).
    pub key_id: String,
    /// The API key secret.
    pub key_secret: SecretString,
    /// Where the API is.
    pub host: SunCoHost,
    /// The custom integration webhook's secret, checked against `X-API-Key`.
    pub webhook_secret: SecretString,
}

/// The Zendesk account and its webhook.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ZendeskConfig {
    /// `https://{subdomain}.zendesk.com`; absent when only [`base_url`](Self::base_url) is
    /// set.
    pub subdomain: Option<String>,
    /// Overrides the URL built from the subdomain (a local fake, a host-mapped domain).
    pub base_url: Option<String>,
    /// How the bridge authenticates.
    pub auth: ZendeskAuth,
    /// The webhook's basic-auth user name (Meya's: `meya`).
    pub target_username: String,
    /// The webhook's basic-auth password (Meya's `target_password`).
    pub target_password: SecretString,
    /// The webhook's signing secret.
    pub webhook_signing_secret: SecretString,
}

/// Every setting of the bridge. Meya's names, Meya's defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The Zendesk side.
    pub zendesk: ZendeskConfig,
    /// The SunCo side.
    pub sunco: SunCoConfig,
    /// true: a comment's text is sent as Markdown (`markdownText`), which SunCo renders for
    /// each channel. false: it is sent as plain `text`, exactly as written (Markdown
    /// characters included; nothing is escaped or stripped). Default false.
    pub markdown: bool,
    /// Links in a comment's HTML are carried into its text as Meya does: a link whose text
    /// occurs exactly once in the text becomes `[text](href)`, any other link's URL is
    /// appended after a blank line. Default true.
    pub extract_html_links: bool,
    /// Statuses that unlink a ticket from its thread; always contains `closed`.
    ///
    /// What the bridge can see: it hears of a ticket only through the trigger `setup`
    /// installs, which fires on every update of a ticket tagged `sunco_send` (or `sunco`, the
    /// tag of tickets the bridge opened), including the update that closes it (Zendesk runs
    /// triggers on that update, and never again on a closed ticket). So both `solved` and
    /// `closed` unlink when the ticket enters them. A ticket closed without any trigger
    /// running (an older trigger that excluded closed tickets, a trigger switched off, a
    /// webhook delivery Zendesk gave up on) is still found when the customer replies: the
    /// update is refused (422) or the ticket reads closed, and the reply goes to a follow-up
    /// ticket (or, for a merged ticket, the ticket it was merged into). See
    /// [`lifecycle`](crate::lifecycle).
    /// Default `[closed]`.
    pub unlink_ticket_status: Vec<TicketStatus>,
    /// A comment with attachments puts its text on the media message (true) or sends it
    /// first on its own (false). Default false.
    pub include_text_with_media: bool,
    /// Customer media go up as Zendesk uploads (true) or are linked by URL. Default true.
    pub upload_attachments: bool,
    /// When a customer message reopens a linked ticket. Default [`AutoReopen::Agent`].
    pub auto_reopen_ticket: AutoReopen,
    /// Timeout of each Zendesk API call (and, in the bridge, of each SunCo call). Default 5 s.
    pub api_timeout: Duration,
    /// At most this many Zendesk requests a minute (retries included), kept to without
    /// waiting for a 429: set it below the account's plan limit (700 on Suite Enterprise)
    /// when other integrations share it. Not one of Meya's settings. Default none (429s are
    /// still honoured).
    pub zendesk_requests_per_minute: Option<u32>,
    /// How long a worker holds a message's delivery (or a customer's lock) before another
    /// process may take it over after a crash. Not one of Meya's settings. Default 60 s; keep
    /// it well above `api_timeout`.
    pub claim_lease: Duration,
    /// `filter.rx_unhandled_ticket`: which unlinked tickets start the flow. Default never.
    pub rx_unhandled_ticket: Filter,
    /// Create the SunCo user when the requester has none, so the message waits for them
    /// (instead of an internal note on the ticket). Default false.
    pub create_missing_sunco_user: bool,
    /// The Zendesk account requires sign-in to download attachments: agent attachments are
    /// downloaded with the bot's credentials and re-uploaded to SunCo so the customer can
    /// open them. Default false (attachment URLs are sent as they are).
    pub private_attachments: bool,
    /// A customer message in a conversation whose ticket was unlinked (solved, closed) opens
    /// a new ticket linked to the same thread (true), or is ignored (false). Default true.
    /// Not one of Meya's settings. A reply that finds its *linked* ticket closed, merged or
    /// deleted is always carried to a follow-up (or the merge target), whatever this says.
    pub new_ticket_for_unlinked_reply: bool,
    /// Where customer media may be fetched from: SunCo's media hosts and the account's own
    /// host, plus the `media_hosts` setting (`host`, `host:port` or `*.domain` entries), and
    /// whether they may resolve to private addresses (`media_allow_private_addresses`, for
    /// local tests only). Not Meya's settings. See [`media`](crate::media).
    pub media: MediaPolicy,
    /// Settings that were given but are ignored (Meya settings this bridge does not
    /// implement), each naming its setting; also logged at load.
    pub warnings: Vec<Problem>,
}

/// One setting that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The setting, e.g. `sunshine_conversations.app_id` or `filter.rx_unhandled_ticket`.
    pub setting: String,
    /// What is wrong.
    pub message: String,
}

/// Why a configuration could not be loaded: every problem found, each naming its setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A source could not be read at all (a TOML or YAML syntax error).
    #[error("{source_name}: {message}")]
    Syntax {
        /// Which source.
        source_name: String,
        /// The parser's message.
        message: String,
    },
    /// Settings are missing or invalid.
    #[error("invalid configuration: {}", .0.iter().map(Problem::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
}

impl Problem {
    /// The environment variable that sets this setting, if one does (see [`ENVIRONMENT`]).
    pub fn env_variable(&self) -> Option<&'static str> {
        ENVIRONMENT
            .iter()
            .find(|(_, setting)| *setting == self.setting)
            .map(|(variable, _)| *variable)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.setting, self.message)?;
        match self.env_variable() {
            Some(variable) => write!(f, " (env {variable})"),
            None => Ok(()),
        }
    }
}

/// Every setting name, as written in TOML (tables as dotted prefixes).
const SETTINGS: &[&str] = &[
    "subdomain",
    "base_url",
    "bot_agent_email",
    "bot_agent_api_token",
    "oauth_client_id",
    "oauth_client_secret",
    "target_username",
    "target_password",
    "webhook_signing_secret",
    "markdown",
    "extract_html_links",
    "unlink_ticket_status",
    "include_text_with_media",
    "upload_attachments",
    "auto_reopen_ticket",
    "api_timeout",
    "claim_lease",
    "zendesk_requests_per_minute",
    "create_missing_sunco_user",
    "new_ticket_for_unlinked_reply",
    "private_attachments",
    "media_hosts",
    "media_allow_private_addresses",
    "filter.rx_unhandled_ticket",
    "sunshine_conversations.app_id",
    "sunshine_conversations.key_id",
    "sunshine_conversations.key_secret",
    "sunshine_conversations.region",
    "sunshine_conversations.base_url",
    "sunshine_conversations.webhook_secret",
];

/// The environment variables [`ConfigLoader::env`] reads, and the setting each sets.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("ZENDESK_SUBDOMAIN", "subdomain"),
    ("ZENDESK_BASE_URL", "base_url"),
    ("ZENDESK_BOT_AGENT_EMAIL", "bot_agent_email"),
    ("ZENDESK_BOT_AGENT_API_TOKEN", "bot_agent_api_token"),
    ("ZENDESK_OAUTH_CLIENT_ID", "oauth_client_id"),
    ("ZENDESK_OAUTH_CLIENT_SECRET", "oauth_client_secret"),
    ("ZENDESK_TARGET_USERNAME", "target_username"),
    ("ZENDESK_TARGET_PASSWORD", "target_password"),
    ("ZENDESK_WEBHOOK_SIGNING_SECRET", "webhook_signing_secret"),
    ("ZENDESK_REQUESTS_PER_MINUTE", "zendesk_requests_per_minute"),
    ("SUNCO_APP_ID", "sunshine_conversations.app_id"),
    ("SUNCO_KEY_ID", "sunshine_conversations.key_id"),
    ("SUNCO_KEY_SECRET", "sunshine_conversations.key_secret"),
    ("SUNCO_REGION", "sunshine_conversations.region"),
    ("SUNCO_BASE_URL", "sunshine_conversations.base_url"),
    (
        "SUNCO_WEBHOOK_SECRET",
        "sunshine_conversations.webhook_secret",
    ),
    ("BRIDGE_MEDIA_HOSTS", "media_hosts"),
    (
        "BRIDGE_MEDIA_ALLOW_PRIVATE_ADDRESSES",
        "media_allow_private_addresses",
    ),
];

/// The seed's settings (Meya's documentation page), for a Meya user to start from. Secrets
/// are `(@ vault.x.y )` references, resolved by the lookup given to
/// [`ConfigLoader::meya_yaml`].
pub const SEED_YAML: &str = include_str!("../../config/seed.yaml");

/// The seed's settings as TOML, without identity or secrets (those come from the
/// environment): what a service uses when it has no settings file of its own.
pub const SEED_TOML: &str = include_str!("../../config/seed.toml");

/// Collects settings from sources, later sources overriding earlier ones, then checks them.
#[derive(Debug, Default)]
#[must_use]
pub struct ConfigLoader {
    values: BTreeMap<String, Value>,
    warnings: Vec<Problem>,
}

/// Settings of Meya's Zendesk Support integration (and the integration classes it inherits
/// from, in the Meya SDK 2.8) that this bridge does not implement: a Meya block holding them
/// loads, with one warning for each. A whole block (`transcript: {...}`) is one setting.
pub const MEYA_SETTINGS_IGNORED: &[&str] = &[
    "id",
    "enabled",
    "verify_token",
    "max_attachment_size",
    "typing",
    "avatar",
    "agent_command_prefix",
    "transcript",
    "agent",
    "filter.rx_sub",
    "filter.rx",
    "filter.tx",
    "filter.tx_pub",
];

impl Config {
    /// A loader with no settings yet.
    pub fn loader() -> ConfigLoader {
        ConfigLoader::default()
    }
}

impl ConfigLoader {
    /// Adds a TOML document's settings.
    ///
    /// # Errors
    /// [`ConfigError::Syntax`] for malformed TOML; [`ConfigError::Invalid`] for a setting this
    /// crate does not know (a typo must not pass silently).
    pub fn toml(mut self, text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|error| ConfigError::Syntax {
            source_name: "TOML".into(),
            message: error.to_string(),
        })?;
        let mut unknown = Vec::new();
        for (key, value) in table {
            match value {
                toml::Value::Table(inner) => {
                    for (inner_key, inner_value) in inner {
                        let name = format!("{key}.{inner_key}");
                        self.set(name, toml_to_json(inner_value), &mut unknown);
                    }
                }
                other => self.set(key, toml_to_json(other), &mut unknown),
            }
        }
        if unknown.is_empty() {
            Ok(self)
        } else {
            Err(ConfigError::Invalid(unknown))
        }
    }

    /// Adds Meya's integration block (`type: meya.zendesk.support.integration`), resolving
    /// each `(@ vault.x.y )` with `vault("x.y")`.
    ///
    /// Meya settings this bridge does not implement ([`MEYA_SETTINGS_IGNORED`]) are ignored,
    /// each with a warning (see [`Config::warnings`]); Meya's `markdown` feature list
    /// (`[format, linkify, ...]`) turns Markdown on, as a whole. Anything else unknown is an
    /// error: a typo must not pass.
    ///
    /// # Errors
    /// [`ConfigError::Syntax`] for malformed YAML; [`ConfigError::Invalid`] for another
    /// `type`, an unknown setting, or a vault reference the lookup does not know.
    pub fn meya_yaml(
        mut self,
        text: &str,
        vault: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let documents = YamlLoader::load_from_str(text).map_err(|error| ConfigError::Syntax {
            source_name: "YAML".into(),
            message: error.to_string(),
        })?;
        let Some(Yaml::Hash(root)) = documents.into_iter().next() else {
            return Err(ConfigError::Syntax {
                source_name: "YAML".into(),
                message: "expected a mapping of settings".into(),
            });
        };
        let mut problems = Vec::new();
        for (key, value) in root {
            let Some(key) = key.as_str().map(str::to_owned) else {
                continue;
            };
            if MEYA_SETTINGS_IGNORED.contains(&key.as_str()) {
                self.ignore(&key);
                continue;
            }
            match (key.as_str(), value) {
                ("type", Yaml::String(kind)) if kind == "meya.zendesk.support.integration" => {}
                ("type", _) => problems.push(Problem {
                    setting: "type".into(),
                    message: "must be meya.zendesk.support.integration".into(),
                }),
                ("markdown", Yaml::Array(features)) => {
                    // Meya picks Markdown features one by one; SunCo renders Markdown whole.
                    if features.len() < 4 && !features.is_empty() {
                        self.warnings.push(Problem {
                            setting: "markdown".into(),
                            message: "lists Meya Markdown features; SunCo renders Markdown as \
                                      a whole, so Markdown is on"
                                .into(),
                        });
                    }
                    self.set(key, Value::Bool(!features.is_empty()), &mut problems);
                }
                (_, Yaml::Hash(inner)) => {
                    for (inner_key, inner_value) in inner {
                        if let Some(inner_key) = inner_key.as_str() {
                            let name = format!("{key}.{inner_key}");
                            if MEYA_SETTINGS_IGNORED.contains(&name.as_str()) {
                                self.ignore(&name);
                                continue;
                            }
                            match yaml_to_json(&inner_value, &vault, &name) {
                                Ok(value) => self.set(name, value, &mut problems),
                                Err(problem) => problems.push(problem),
                            }
                        }
                    }
                }
                (_, value) => match yaml_to_json(&value, &vault, &key) {
                    Ok(value) => self.set(key, value, &mut problems),
                    Err(problem) => problems.push(problem),
                },
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    fn ignore(&mut self, setting: &str) {
        tracing::warn!(
            setting,
            "Meya setting not implemented by this bridge; ignored"
        );
        self.warnings.push(Problem {
            setting: setting.to_owned(),
            message: "is a Meya setting this bridge does not implement; ignored".into(),
        });
    }

    /// Adds the process environment's settings (see [`ENVIRONMENT`]).
    pub fn env(self) -> Self {
        self.env_with(|name| std::env::var(name).ok())
    }

    /// Adds settings from an environment-like lookup (see [`ENVIRONMENT`]); empty values are
    /// ignored.
    pub fn env_with(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        for (variable, setting) in ENVIRONMENT {
            if let Some(value) = lookup(variable).filter(|value| !value.trim().is_empty()) {
                self.values
                    .insert((*setting).to_owned(), Value::String(value));
            }
        }
        self
    }

    fn set(&mut self, name: String, value: Value, problems: &mut Vec<Problem>) {
        if SETTINGS.contains(&name.as_str()) {
            self.values.insert(name, value);
        } else {
            problems.push(Problem {
                setting: name,
                message: "is not a setting of this bridge".into(),
            });
        }
    }

    /// Checks every setting and builds the configuration.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] listing every missing or invalid setting.
    pub fn build(self) -> Result<Config, ConfigError> {
        let mut check = Checker {
            values: self.values,
            problems: Vec::new(),
            warnings: self.warnings,
        };
        let base_url = check.optional_text("base_url");
        // The subdomain builds the URL, so it is required only when no base_url replaces it.
        let subdomain = if base_url.is_some() {
            check.optional_text("subdomain")
        } else {
            check.required("subdomain")
        };
        let email = check.optional_text("bot_agent_email");
        let token = check.optional_text("bot_agent_api_token");
        let client_id = check.optional_text("oauth_client_id");
        let client_secret = check.optional_text("oauth_client_secret");
        let auth = match (email, token, client_id, client_secret) {
            (_, _, Some(client_id), Some(client_secret)) => Some(ZendeskAuth::OAuth {
                client_id,
                client_secret: client_secret.into(),
            }),
            (_, _, Some(_), None) => check.problem("oauth_client_secret", "is required with oauth_client_id"),
            (_, _, None, Some(_)) => check.problem("oauth_client_id", "is required with oauth_client_secret"),
            (Some(email), Some(token), None, None) => Some(ZendeskAuth::ApiToken {
                email,
                token: token.into(),
            }),
            (None, _, None, None) => check.problem(
                "bot_agent_email",
                "is required (with bot_agent_api_token), or set oauth_client_id and oauth_client_secret",
            ),
            (Some(_), None, None, None) => check.problem("bot_agent_api_token", "is required with bot_agent_email"),
        };
        let target_username = check
            .optional_text("target_username")
            .unwrap_or_else(|| "meya".to_owned());
        let target_password = check.required("target_password");
        let signing_secret = check.required("webhook_signing_secret");
        let markdown = check.flag("markdown", false);
        let extract_html_links = check.flag("extract_html_links", true);
        let include_text_with_media = check.flag("include_text_with_media", false);
        let upload_attachments = check.flag("upload_attachments", true);
        let create_missing_sunco_user = check.flag("create_missing_sunco_user", false);
        let new_ticket_for_unlinked_reply = check.flag("new_ticket_for_unlinked_reply", true);
        let private_attachments = check.flag("private_attachments", false);
        let media_hosts = check.list("media_hosts");
        let media_allow_private = check.flag("media_allow_private_addresses", false);
        let unlink_ticket_status = check.statuses("unlink_ticket_status");
        let auto_reopen_ticket = check.auto_reopen("auto_reopen_ticket");
        let api_timeout = check.duration("api_timeout", Duration::from_secs(5));
        let claim_lease = check.duration("claim_lease", Duration::from_secs(60));
        let zendesk_requests_per_minute = check
            .optional_count("zendesk_requests_per_minute", 1, 100_000)
            .and_then(|count| u32::try_from(count).ok());
        let rx_unhandled_ticket = check.filter("filter.rx_unhandled_ticket");

        let app_id = check.required("sunshine_conversations.app_id");
        let key_id = check.required("sunshine_conversations.key_id");
        let key_secret = check.required("sunshine_conversations.key_secret");
        let webhook_secret = check.required("sunshine_conversations.webhook_secret");
        let region = check.optional_text("sunshine_conversations.region");
        let sunco_base_url = check.optional_text("sunshine_conversations.base_url");
        let host = match (sunco_base_url, region.as_deref()) {
            (Some(url), _) => Some(SunCoHost::BaseUrl(url)),
            (None, Some("us")) => Some(SunCoHost::SmoochUs),
            (None, Some("eu")) => Some(SunCoHost::SmoochEu),
            (None, Some(_)) => {
                check.problem("sunshine_conversations.region", "must be `us` or `eu`")
            }
            (None, None) => match &subdomain {
                Some(subdomain) => Some(SunCoHost::Zendesk(subdomain.clone())),
                None => check.problem(
                    "sunshine_conversations.base_url",
                    "is required (or a region) when Zendesk is given by base_url alone",
                ),
            },
        };

        let zendesk_host = subdomain
            .as_ref()
            .map(|subdomain| format!("{subdomain}.zendesk.com"));
        let media =
            match MediaPolicy::new(zendesk_host.as_deref(), &media_hosts, media_allow_private) {
                Ok(media) => Some(media),
                Err(message) => check.problem("media_hosts", &message),
            };

        if !check.problems.is_empty() {
            return Err(ConfigError::Invalid(check.problems));
        }
        let warnings = check.warnings;
        match (
            auth,
            target_password,
            signing_secret,
            app_id,
            key_id,
            key_secret,
            webhook_secret,
            host,
            media,
        ) {
            (
                Some(auth),
                Some(target_password),
                Some(signing_secret),
                Some(app_id),
                Some(key_id),
                Some(key_secret),
                Some(webhook_secret),
                Some(host),
                Some(media),
            ) => Ok(Config {
                zendesk: ZendeskConfig {
                    subdomain,
                    base_url,
                    auth,
                    target_username,
                    target_password: target_password.into(),
                    webhook_signing_secret: signing_secret.into(),
                },
                sunco: SunCoConfig {
                    app_id,
                    key_id,
                    key_secret: key_secret.into(),
                    host,
                    webhook_secret: webhook_secret.into(),
                },
                markdown,
                extract_html_links,
                unlink_ticket_status,
                include_text_with_media,
                upload_attachments,
                auto_reopen_ticket,
                api_timeout,
                claim_lease,
                zendesk_requests_per_minute,
                rx_unhandled_ticket,
                create_missing_sunco_user,
                new_ticket_for_unlinked_reply,
                private_attachments,
                media,
                warnings,
            }),
            // Every `None` above recorded a problem, so this arm is not reached; it stays an
            // error rather than a panic.
            _ => Err(ConfigError::Invalid(vec![Problem {
                setting: "(configuration)".into(),
                message: "is incomplete".into(),
            }])),
        }
    }
}

mod checks;
mod formats;

use checks::Checker;
use formats::{toml_to_json, yaml_to_json};
