//! Loading settings: Meya's YAML with vault references, TOML, the environment, defaults, and
//! one clear problem per missing or invalid setting.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use zendesk_sunco_bridge::config::{
    AutoReopen, Config, ConfigError, SEED_YAML, SunCoHost, ZendeskAuth,
};
use zendesk_support::TicketStatus;

fn vault(path: &str) -> Option<String> {
    let entries = HashMap::from([
        ("zendesk.support.subdomain", "acme"),
        ("zendesk.support.bot_agent_email", "bot@acme.com"),
        ("zendesk.support.bot_agent_api_token", "ZD-TOKEN-SECRET"),
        ("zendesk.support.target_password", "TARGET-PASSWORD-SECRET"),
    ]);
    entries.get(path).map(|value| (*value).to_owned())
}

fn environment(extra: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    let mut variables: HashMap<&str, &str> = HashMap::from([
        ("ZENDESK_WEBHOOK_SIGNING_SECRET", "SIGNING-SECRET"),
        ("SUNCO_APP_ID", "5ebee0975ac5304b664a12fa"),
        ("SUNCO_KEY_ID", "app_5ebee0975ac5"),
        ("SUNCO_KEY_SECRET", "SUNCO-KEY-SECRET"),
        ("SUNCO_WEBHOOK_SECRET", "SUNCO-WEBHOOK-SECRET"),
    ]);
    variables.extend(extra.iter().copied());
    move |name| variables.get(name).map(|value| (*value).to_owned())
}

fn problems(error: ConfigError) -> Vec<(String, String)> {
    match error {
        ConfigError::Invalid(problems) => problems
            .into_iter()
            .map(|problem| (problem.setting, problem.message))
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// The top-level (Zendesk) settings every valid configuration needs.
const ZENDESK_PART: &str = r#"
subdomain = "acme"
bot_agent_email = "bot@acme.com"
bot_agent_api_token = "ZD-TOKEN-SECRET"
target_password = "TARGET-PASSWORD-SECRET"
webhook_signing_secret = "SIGNING-SECRET"
"#;

/// The SunCo table every valid configuration needs.
const SUNCO_PART: &str = r#"
[sunshine_conversations]
app_id = "app1"
key_id = "app_key"
key_secret = "SUNCO-KEY-SECRET"
webhook_secret = "SUNCO-WEBHOOK-SECRET"
"#;

/// A minimal valid TOML configuration, with `extra` top-level settings.
fn minimal(extra: &str) -> String {
    format!("{extra}\n{ZENDESK_PART}{SUNCO_PART}")
}

#[test]
fn the_seed_yaml_loads_with_vault_references_and_the_environment() {
    let config = Config::loader()
        .meya_yaml(SEED_YAML, vault)
        .unwrap()
        .env_with(environment(&[]))
        .build()
        .unwrap();
    assert_eq!(config.zendesk.subdomain.as_deref(), Some("acme"));
    assert!(
        matches!(&config.zendesk.auth, ZendeskAuth::ApiToken { email, .. } if email == "bot@acme.com")
    );
    assert_eq!(config.zendesk.target_username, "meya");
    assert!(config.markdown);
    assert!(!config.extract_html_links);
    assert_eq!(
        config.unlink_ticket_status,
        [TicketStatus::Closed, TicketStatus::Solved]
    );
    assert!(config.include_text_with_media);
    assert_eq!(config.sunco.host, SunCoHost::Zendesk("acme".into()));
    let agent_ticket = json!({"ticket": {"status": "open", "tags": ["sunco_send"]},
                              "current_user": {"role": "agent"}});
    assert!(config.rx_unhandled_ticket.matches(&agent_ticket));
    let customer_ticket = json!({"ticket": {"status": "open", "tags": ["sunco_send"]},
                                 "current_user": {"role": "end-user"}});
    assert!(!config.rx_unhandled_ticket.matches(&customer_ticket));
}

#[test]
fn meya_defaults_apply() {
    let config = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .build()
        .unwrap();
    assert!(!config.markdown);
    assert!(config.extract_html_links);
    assert_eq!(config.unlink_ticket_status, [TicketStatus::Closed]);
    assert!(!config.include_text_with_media);
    assert!(config.upload_attachments);
    assert_eq!(config.auto_reopen_ticket, AutoReopen::Agent);
    assert_eq!(config.api_timeout, Duration::from_secs(5));
    assert!(!config.create_missing_sunco_user);
    assert!(
        !config.rx_unhandled_ticket.matches(&json!({})),
        "the default filter is never"
    );
}

#[test]
fn everything_missing_is_reported_at_once_by_name() {
    let error = Config::loader().build().unwrap_err();
    let settings: Vec<String> = problems(error.clone())
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    for required in [
        "subdomain",
        "bot_agent_email",
        "target_password",
        "webhook_signing_secret",
        "sunshine_conversations.app_id",
        "sunshine_conversations.key_id",
        "sunshine_conversations.key_secret",
        "sunshine_conversations.webhook_secret",
    ] {
        assert!(
            settings.contains(&required.to_owned()),
            "{required} in {settings:?}"
        );
    }
    assert!(
        error.to_string().contains("`subdomain` is required"),
        "{error}"
    );
}

#[test]
fn invalid_values_name_their_setting() {
    let toml = format!(
        r#"{ZENDESK_PART}
unlink_ticket_status = ["solved", "archived"]
auto_reopen_ticket = "sometimes"
api_timeout = "forever"
markdown = "maybe"

[filter]
rx_unhandled_ticket = "ticket.tags:sunco_send AND ticket.status:(new OR"
{SUNCO_PART}"#
    );
    let found = problems(Config::loader().toml(&toml).unwrap().build().unwrap_err());
    let message = |setting: &str| {
        found
            .iter()
            .filter(|(s, _)| s == setting)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(message("unlink_ticket_status").contains("unknown status `archived`"));
    assert!(message("unlink_ticket_status").contains("must contain `closed`"));
    assert!(message("auto_reopen_ticket").contains("true, false or agent"));
    assert!(message("api_timeout").contains("duration"));
    assert!(message("markdown").contains("true or false"));
    let filter = message("filter.rx_unhandled_ticket");
    assert!(
        filter.starts_with("column 49: expected a term, `field:value`"),
        "{filter}"
    );
}

#[test]
fn a_typo_is_an_error_not_a_silent_default() {
    let error = Config::loader()
        .toml(&format!(
            "{}\n[filters]\nrx_unhandled_ticket = \"x:y\"\n",
            minimal("")
        ))
        .unwrap_err();
    assert_eq!(
        problems(error),
        [(
            "filters.rx_unhandled_ticket".to_owned(),
            "is not a setting of this bridge".to_owned()
        )]
    );
    let error = Config::loader().toml("markdwn = true").unwrap_err();
    assert_eq!(problems(error)[0].0, "markdwn");
}

#[test]
fn syntax_errors_are_reported() {
    assert!(matches!(
        Config::loader().toml("subdomain = "),
        Err(ConfigError::Syntax { .. })
    ));
    assert!(matches!(
        Config::loader().meya_yaml("type: [unclosed", vault),
        Err(ConfigError::Syntax { .. })
    ));
    assert!(matches!(
        Config::loader().meya_yaml("- a list", vault),
        Err(ConfigError::Syntax { .. })
    ));
}

#[test]
fn meya_yaml_checks_its_type_and_vault() {
    let error = Config::loader()
        .meya_yaml(
            "type: meya.zendesk.sunshine_conversations.integration\n",
            vault,
        )
        .unwrap_err();
    assert_eq!(problems(error)[0].0, "type");
    let error = Config::loader()
        .meya_yaml(
            "type: meya.zendesk.support.integration\ntarget_password: (@ vault.nowhere )\n",
            vault,
        )
        .unwrap_err();
    assert_eq!(
        problems(error),
        [(
            "target_password".to_owned(),
            "the vault has no `nowhere`".to_owned()
        )]
    );
    let error = Config::loader()
        .meya_yaml(
            "type: meya.zendesk.support.integration\nsubdomain: (@ flow.x )\n",
            vault,
        )
        .unwrap_err();
    assert!(problems(error)[0].1.contains("only vault references"));
}

#[test]
fn later_sources_override_earlier_ones() {
    let config = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .env_with(environment(&[
            ("ZENDESK_SUBDOMAIN", "other"),
            ("ZENDESK_TARGET_USERNAME", "bridge"),
            ("ZENDESK_BASE_URL", "http://127.0.0.1:9000"),
            ("SUNCO_BASE_URL", "http://127.0.0.1:9001"),
            ("SUNCO_REGION", ""),
        ]))
        .build()
        .unwrap();
    assert_eq!(config.zendesk.subdomain.as_deref(), Some("other"));
    assert_eq!(config.zendesk.target_username, "bridge");
    assert_eq!(
        config.zendesk.base_url.as_deref(),
        Some("http://127.0.0.1:9000")
    );
    assert_eq!(
        config.sunco.host,
        SunCoHost::BaseUrl("http://127.0.0.1:9001".into())
    );
}

#[test]
fn oauth_credentials_and_regions() {
    let config = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .env_with(environment(&[
            ("ZENDESK_OAUTH_CLIENT_ID", "bridge"),
            ("ZENDESK_OAUTH_CLIENT_SECRET", "OAUTH-SECRET"),
            ("SUNCO_REGION", "eu"),
        ]))
        .build()
        .unwrap();
    assert!(
        matches!(&config.zendesk.auth, ZendeskAuth::OAuth { client_id, .. } if client_id == "bridge")
    );
    assert_eq!(config.sunco.host, SunCoHost::SmoochEu);

    let error = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .env_with(environment(&[
            ("ZENDESK_OAUTH_CLIENT_ID", "bridge"),
            ("SUNCO_REGION", "mars"),
        ]))
        .build()
        .unwrap_err();
    let settings: Vec<String> = problems(error).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        settings,
        ["oauth_client_secret", "sunshine_conversations.region"]
    );
}

#[test]
fn durations_and_flags_accept_common_spellings() {
    for (written, expected) in [
        ("\"500ms\"", 500),
        ("\"2s\"", 2000),
        ("3", 3000),
        ("1.5", 1500),
    ] {
        let config = Config::loader()
            .toml(&minimal(&format!("api_timeout = {written}")))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            config.api_timeout,
            Duration::from_millis(expected),
            "{written}"
        );
    }
    let config = Config::loader()
        .toml(&minimal("markdown = \"yes\"\nauto_reopen_ticket = false"))
        .unwrap()
        .build()
        .unwrap();
    assert!(config.markdown);
    assert_eq!(config.auto_reopen_ticket, AutoReopen::Never);
}

#[test]
fn debug_never_shows_a_secret() {
    let config = Config::loader()
        .meya_yaml(SEED_YAML, vault)
        .unwrap()
        .env_with(environment(&[]))
        .build()
        .unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("bot@acme.com"));
}

#[test]
fn the_shipped_toml_is_the_seed() {
    let config = Config::loader()
        .toml(include_str!("../config/seed.toml"))
        .unwrap()
        .env_with(environment(&[
            ("ZENDESK_SUBDOMAIN", "acme"),
            ("ZENDESK_BOT_AGENT_EMAIL", "bot@acme.com"),
            ("ZENDESK_BOT_AGENT_API_TOKEN", "ZD-TOKEN-SECRET"),
            ("ZENDESK_TARGET_PASSWORD", "TARGET-PASSWORD-SECRET"),
        ]))
        .build()
        .unwrap();
    assert!(config.markdown && !config.extract_html_links && config.include_text_with_media);
    assert_eq!(
        config.unlink_ticket_status,
        [TicketStatus::Closed, TicketStatus::Solved]
    );
    assert!(config.rx_unhandled_ticket.as_str().contains("sunco_send"));
}

#[test]
fn a_base_url_stands_in_for_the_subdomain() {
    let base_only = ZENDESK_PART.replace(
        "subdomain = \"acme\"",
        "base_url = \"http://127.0.0.1:9000\"",
    );
    let error = Config::loader()
        .toml(&format!("{base_only}{SUNCO_PART}"))
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(
        problems(error),
        [(
            "sunshine_conversations.base_url".to_owned(),
            "is required (or a region) when Zendesk is given by base_url alone".to_owned()
        )]
    );
    let config = Config::loader()
        .toml(&format!("{base_only}{SUNCO_PART}region = \"eu\"\n"))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(config.zendesk.subdomain, None);
    assert_eq!(
        config.zendesk.base_url.as_deref(),
        Some("http://127.0.0.1:9000")
    );
}

/// A Meya integration block as Meya users write it, with Meya settings this bridge does not
/// implement: it loads, and each of them is named once in a warning.
#[test]
fn meya_settings_not_implemented_load_with_one_warning_each() {
    let block = format!(
        "{SEED_YAML}
enabled: true
typing: false
agent_command_prefix: \"/\"
verify_token: not-used
max_attachment_size: 1048576
avatar:
  crop: circle
transcript:
  count: 10
  user_prefix: customer
agent:
  name: first
  avatar:
    image: https://acme.test/a.png
"
    )
    .replace(
        "filter:\n",
        "filter:\n  rx: true\n  tx: (@ vault.zendesk.support.subdomain )\n",
    );
    let config = Config::loader()
        .meya_yaml(&block, vault)
        .unwrap()
        .env_with(environment(&[]))
        .build()
        .unwrap();
    let mut warned: Vec<&str> = config
        .warnings
        .iter()
        .map(|warning| warning.setting.as_str())
        .collect();
    warned.sort_unstable();
    assert_eq!(
        warned,
        [
            "agent",
            "agent_command_prefix",
            "avatar",
            "enabled",
            "filter.rx",
            "filter.tx",
            "max_attachment_size",
            "transcript",
            "typing",
            "verify_token"
        ]
    );
    assert!(
        config.warnings[0]
            .to_string()
            .contains("does not implement"),
        "{}",
        config.warnings[0]
    );
    // Everything implemented still took effect.
    assert!(config.markdown);
    assert!(!config.extract_html_links);

    // A key that is not Meya's is still an error: typos must not pass.
    let error = Config::loader()
        .meya_yaml(&format!("{SEED_YAML}\ntranscrpt:\n  count: 10\n"), vault)
        .unwrap_err();
    assert_eq!(problems(error)[0].0, "transcrpt.count");
    let error = Config::loader()
        .meya_yaml(&format!("{SEED_YAML}\nmarkdwn: true\n"), vault)
        .unwrap_err();
    assert_eq!(problems(error)[0].0, "markdwn");
}

/// Meya's `markdown` is a flag or a list of Markdown features; a list turns Markdown on.
#[test]
fn meya_markdown_feature_lists_turn_markdown_on() {
    let load = |markdown: &str| {
        Config::loader()
            .meya_yaml(
                &SEED_YAML.replace("markdown: true", &format!("markdown: {markdown}")),
                vault,
            )
            .unwrap()
            .env_with(environment(&[]))
            .build()
            .unwrap()
    };
    let listed = load("[format, linkify]");
    assert!(listed.markdown);
    assert!(listed.warnings.iter().any(|w| w.setting == "markdown"));
    let all = load("[format, linkify, breaks, typographer]");
    assert!(all.markdown && all.warnings.is_empty());
    assert!(!load("[]").markdown);
}

#[test]
fn media_hosts_are_checked_at_load() {
    let config = Config::loader()
        .toml(&minimal(
            r#"media_hosts = ["files.acme.test", "*.cdn.acme.test:8443"]"#,
        ))
        .unwrap()
        .build()
        .unwrap();
    assert!(format!("{:?}", config.media).contains("files.acme.test"));
    let error = Config::loader()
        .toml(&minimal(r#"media_hosts = ["https://files.acme.test/"]"#))
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(problems(error)[0].0, "media_hosts");
    // From the environment: comma-separated.
    let config = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .env_with(environment(&[(
            "BRIDGE_MEDIA_HOSTS",
            "a.test, b.test:9000",
        )]))
        .build()
        .unwrap();
    assert!(format!("{:?}", config.media).contains("b.test"));
}

#[test]
fn a_zendesk_requests_per_minute_budget_is_read_from_toml_or_the_environment() {
    let none = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(none.zendesk_requests_per_minute, None);
    let from_toml = Config::loader()
        .toml(&minimal("zendesk_requests_per_minute = 500"))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(from_toml.zendesk_requests_per_minute, Some(500));
    let from_env = Config::loader()
        .toml(&minimal(""))
        .unwrap()
        .env_with(environment(&[("ZENDESK_REQUESTS_PER_MINUTE", "650")]))
        .build()
        .unwrap();
    assert_eq!(from_env.zendesk_requests_per_minute, Some(650));
    for wrong in ["0", "-3", "\"lots\"", "1.5"] {
        let refused = Config::loader()
            .toml(&minimal(&format!("zendesk_requests_per_minute = {wrong}")))
            .unwrap()
            .build()
            .unwrap_err();
        assert!(
            problems(refused)
                .iter()
                .any(|(setting, _)| setting == "zendesk_requests_per_minute"),
            "{wrong}"
        );
    }
}
