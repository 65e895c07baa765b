//! Reading each setting: its type, its range, and a problem (with the setting's name) when
//! it is wrong.

use super::*;

/// Reads typed settings, recording a problem for each one that is missing or invalid, and a
/// warning for each that loads but is not what Meya would have done.
pub(super) struct Checker {
    pub(super) values: BTreeMap<String, Value>,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
}

impl Checker {
    pub(super) fn problem<T>(&mut self, setting: &str, message: &str) -> Option<T> {
        self.problems.push(Problem {
            setting: setting.to_owned(),
            message: message.to_owned(),
        });
        None
    }

    pub(super) fn optional_text(&mut self, setting: &str) -> Option<String> {
        match self.values.get(setting) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) => Some(text.trim().to_owned()),
            Some(Value::Number(number)) => Some(number.to_string()),
            Some(_) => self.problem(setting, "must be a string"),
        }
    }

    pub(super) fn required(&mut self, setting: &str) -> Option<String> {
        match self.optional_text(setting) {
            Some(text) => Some(text),
            None if self.problems.iter().any(|p| p.setting == setting) => None,
            None => self.problem(setting, "is required"),
        }
    }

    pub(super) fn flag(&mut self, setting: &str, default: bool) -> bool {
        match self.values.get(setting) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(flag)) => *flag,
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => {
                    self.problem::<()>(setting, "must be true or false");
                    default
                }
            },
            Some(_) => {
                self.problem::<()>(setting, "must be true or false");
                default
            }
        }
    }

    pub(super) fn statuses(&mut self, setting: &str) -> Vec<TicketStatus> {
        let names: Vec<String> = match self.values.get(setting) {
            None | Some(Value::Null) => return vec![TicketStatus::Closed],
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().unwrap_or_default().trim().to_owned())
                .collect(),
            Some(Value::String(text)) => text
                .split(',')
                .map(|part| part.trim().trim_matches(['[', ']']).trim().to_owned())
                .filter(|part| !part.is_empty())
                .collect(),
            Some(_) => {
                self.problem::<()>(setting, "must be a list of ticket statuses");
                return vec![TicketStatus::Closed];
            }
        };
        let mut statuses = Vec::new();
        for name in names {
            let status: TicketStatus = match name.parse() {
                Ok(status) => status,
                Err(never) => match never {},
            };
            if matches!(status, TicketStatus::Unknown(_)) {
                self.problem::<()>(setting, &format!("has an unknown status `{name}`"));
            } else if !statuses.contains(&status) {
                statuses.push(status);
            }
        }
        if !statuses.contains(&TicketStatus::Closed) {
            self.problem::<()>(setting, "must contain `closed`");
        }
        statuses
    }

    /// A list of strings: an array, or one comma-separated string (as from the environment).
    pub(super) fn list(&mut self, setting: &str) -> Vec<String> {
        match self.values.get(setting) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|item| item.trim().to_owned())
                .filter(|item| !item.is_empty())
                .collect(),
            Some(Value::String(text)) => text
                .split(',')
                .map(|item| item.trim().to_owned())
                .filter(|item| !item.is_empty())
                .collect(),
            Some(_) => {
                self.problem::<()>(setting, "must be a list of strings");
                Vec::new()
            }
        }
    }

    pub(super) fn auto_reopen(&mut self, setting: &str) -> AutoReopen {
        match self.values.get(setting) {
            None | Some(Value::Null) => AutoReopen::Agent,
            Some(Value::Bool(true)) => AutoReopen::Always,
            Some(Value::Bool(false)) => AutoReopen::Never,
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" => AutoReopen::Always,
                "false" => AutoReopen::Never,
                "agent" => AutoReopen::Agent,
                _ => {
                    self.problem::<()>(setting, "must be true, false or agent");
                    AutoReopen::Agent
                }
            },
            Some(_) => {
                self.problem::<()>(setting, "must be true, false or agent");
                AutoReopen::Agent
            }
        }
    }

    /// A whole number from `min` to `max`, or `None` when the setting is absent.
    pub(super) fn optional_count(&mut self, setting: &str, min: u64, max: u64) -> Option<u64> {
        let parsed = match self.values.get(setting) {
            None | Some(Value::Null) => return None,
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) if text.trim().is_empty() => return None,
            Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match parsed.filter(|count| (min..=max).contains(count)) {
            Some(count) => Some(count),
            None => self.problem(
                setting,
                &format!("must be a whole number from {min} to {max}"),
            ),
        }
    }

    pub(super) fn duration(&mut self, setting: &str, default: Duration) -> Duration {
        let parsed = match self.values.get(setting) {
            None | Some(Value::Null) => return default,
            Some(Value::Number(number)) => number
                .as_f64()
                .filter(|seconds| seconds.is_finite() && *seconds > 0.0 && *seconds <= 3600.0)
                .map(Duration::from_secs_f64),
            Some(Value::String(text)) => humantime::parse_duration(text.trim())
                .ok()
                .or_else(|| {
                    text.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                        .map(Duration::from_secs_f64)
                })
                .filter(|duration| !duration.is_zero() && *duration <= Duration::from_secs(3600)),
            Some(_) => None,
        };
        parsed.unwrap_or_else(|| {
            self.problem::<()>(
                setting,
                "must be a duration from 1 ms to 1 h, e.g. `5s` or 5",
            );
            default
        })
    }

    pub(super) fn filter(&mut self, setting: &str) -> Filter {
        match self.values.get(setting) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Filter::never(),
            Some(Value::Bool(true)) => Filter::always(),
            Some(Value::String(query)) => match Filter::parse(query) {
                Ok(filter) => {
                    for warning in filter.warnings() {
                        tracing::warn!(setting, warning = %warning, "filter differs from Meya's");
                        self.warnings.push(Problem {
                            setting: setting.to_owned(),
                            message: warning.clone(),
                        });
                    }
                    filter
                }
                Err(error) => {
                    self.problem::<()>(setting, &error.to_string());
                    Filter::never()
                }
            },
            Some(_) => {
                self.problem::<()>(setting, "must be a query string, or false");
                Filter::never()
            }
        }
    }
}
