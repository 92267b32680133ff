//! Reading one JSON object field by field, with errors that name the field's full path.

use serde_json::{Map, Value};

use super::FieldError;

const MAX_ID_CHARS: usize = 64;
const MAX_URL_CHARS: usize = 2048;
const MAX_CAPTION_CHARS: usize = 1024;

/// One JSON object being read: fields are taken out one by one, and every error is prefixed
/// with the object's path. Unknown fields are rejected up front, so a typo is named as such
/// rather than reported as a missing field.
pub(super) struct Fields {
    path: String,
    map: Map<String, Value>,
}

impl Fields {
    /// `path` prefixes field names ("" at the top level); `name` is how the object itself is
    /// called in errors about it.
    pub(super) fn new(
        path: &str,
        name: &str,
        value: Value,
        allowed: &[&str],
    ) -> Result<Self, FieldError> {
        let Value::Object(map) = value else {
            return Err(FieldError::new(name, "must be a JSON object"));
        };
        let fields = Self {
            path: path.to_string(),
            map,
        };
        if let Some(unknown) = fields.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(fields.error(unknown, "unknown field"));
        }
        Ok(fields)
    }

    pub(super) fn error(&self, field: &str, reason: impl Into<String>) -> FieldError {
        if self.path.is_empty() {
            FieldError::new(field, reason)
        } else {
            FieldError::new(format!("{}.{field}", self.path), reason)
        }
    }

    pub(super) fn has(&self, field: &str) -> bool {
        self.map.get(field).is_some_and(|v| !v.is_null())
    }

    /// The field's value; `null` counts as absent, as most JSON clients write optional fields.
    pub(super) fn take(&mut self, field: &str) -> Option<Value> {
        self.map.remove(field).filter(|v| !v.is_null())
    }

    pub(super) fn optional_string(&mut self, field: &str) -> Result<Option<String>, FieldError> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(field, "must be a string")),
        }
    }

    pub(super) fn required_string(&mut self, field: &str) -> Result<String, FieldError> {
        self.optional_string(field)?
            .ok_or_else(|| self.error(field, "is required"))
    }

    pub(super) fn optional_bool(&mut self, field: &str) -> Result<Option<bool>, FieldError> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(self.error(field, "must be true or false")),
        }
    }

    /// One of our ids (`con_…`, `msg_…`): checked for shape only; the store says if it exists.
    pub(super) fn optional_id(&mut self, field: &str) -> Result<Option<String>, FieldError> {
        let Some(id) = self.optional_string(field)? else {
            return Ok(None);
        };
        if id.is_empty() || id.len() > MAX_ID_CHARS || !id.chars().all(|c| c.is_ascii_graphic()) {
            return Err(self.error(field, "must be a Ponte id like \"msg_…\""));
        }
        Ok(Some(id))
    }

    pub(super) fn check_length(
        &self,
        field: &str,
        value: &str,
        max_chars: usize,
    ) -> Result<(), FieldError> {
        match value.chars().count() {
            n if n > max_chars => Err(self.error(
                field,
                format!("is {n} characters long, at most {max_chars} allowed"),
            )),
            _ => Ok(()),
        }
    }

    /// A public http(s) URL that WhatsApp fetches the media from.
    pub(super) fn link(&mut self) -> Result<String, FieldError> {
        let link = self.required_string("link")?;
        let lower = link.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let has_host = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
        if !has_host || link.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(self.error("link", "must be an http(s) URL"));
        }
        self.check_length("link", &link, MAX_URL_CHARS)?;
        Ok(link)
    }

    /// Where a media object comes from: an http(s) `link`, or the `id` of a file uploaded with
    /// `POST /v1/media`. An upload's id comes back beside an empty link, filled once its link is
    /// made ([`super::OutboundBody::set_link`]).
    pub(super) fn link_or_upload(&mut self) -> Result<(String, Option<String>), FieldError> {
        match (self.has("link"), self.has("id")) {
            (true, true) => Err(self.error("id", "give either link or id, not both")),
            (false, true) => {
                let id = self.optional_id("id")?.unwrap_or_default();
                if !id.starts_with("med_") {
                    return Err(self.error("id", "must be the id of an upload, like \"med_…\""));
                }
                Ok((String::new(), Some(id)))
            }
            _ => Ok((self.link()?, None)),
        }
    }

    pub(super) fn caption(&mut self) -> Result<Option<String>, FieldError> {
        let caption = self.optional_string("caption")?;
        if let Some(c) = &caption {
            self.check_length("caption", c, MAX_CAPTION_CHARS)?;
        }
        Ok(caption)
    }

    pub(super) fn coordinate(&mut self, field: &str, limit: f64) -> Result<f64, FieldError> {
        let value = self
            .take(field)
            .ok_or_else(|| self.error(field, "is required"))?;
        match value.as_f64() {
            Some(x) if (-limit..=limit).contains(&x) => Ok(x),
            Some(_) => Err(self.error(field, format!("must be between -{limit} and {limit}"))),
            None => Err(self.error(field, "must be a number")),
        }
    }
}
