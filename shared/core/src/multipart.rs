//! `multipart/form-data` (RFC 7578) read as it arrives: bytes go in chunk by chunk, whatever the
//! chunking, and come out as parts' headers and their data. A file part passes through without
//! the request ever being held whole, so an upload of any size fits in a Worker's memory.

use memchr::memmem::Finder;
use std::fmt;

/// A part's headers bigger than this are not a form any client sends.
const MAX_HEADER_BYTES: usize = 8 * 1024;
/// RFC 2046's limit on a boundary's length.
const MAX_BOUNDARY_CHARS: usize = 70;

/// What a form part says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartHeaders {
    /// The form field's name (`Content-Disposition: form-data; name="file"`).
    pub name: Option<String>,
    /// The file's name, when the part is a file.
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEvent {
    /// A part begins; its data follows.
    Part(PartHeaders),
    Data(Vec<u8>),
    PartEnd,
    /// The closing delimiter: anything after it is ignored.
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(pub String);

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormError {}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Result<String, FormError> {
    let mut params = content_type.split(';');
    let media_type = params.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return Err(FormError(format!(
            "{media_type:?} is not multipart/form-data"
        )));
    }
    let value = params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| unquote(value.trim()))
        .ok_or_else(|| FormError("the content type has no boundary".into()))?;
    if value.is_empty() || value.len() > MAX_BOUNDARY_CHARS {
        return Err(FormError(format!(
            "the boundary must be 1 to {MAX_BOUNDARY_CHARS} characters"
        )));
    }
    Ok(value)
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    AfterDelimiter,
    Headers,
    Body,
    Done,
}

/// Reads one form as its bytes arrive.
pub struct FormReader {
    /// `CRLF--boundary`: the body is read as if it began with CRLF, so the first delimiter is
    /// found the same way as the others.
    delimiter: Finder<'static>,
    delimiter_len: usize,
    headers_end: Finder<'static>,
    buffer: Vec<u8>,
    state: State,
}

impl FormReader {
    pub fn new(boundary: &str) -> Self {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        Self {
            delimiter_len: delimiter.len(),
            delimiter: Finder::new(&delimiter).into_owned(),
            headers_end: Finder::new(b"\r\n\r\n").into_owned(),
            buffer: b"\r\n".to_vec(),
            state: State::Preamble,
        }
    }

    /// Takes the next chunk; returns what it completed. Data that might be the start of a
    /// delimiter is held back until the next chunk tells.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<FormEvent>, FormError> {
        if self.state == State::Done {
            return Ok(Vec::new());
        }
        self.buffer.extend_from_slice(chunk);
        let mut events = Vec::new();
        loop {
            let progressed = match self.state {
                State::Preamble => self.skip_preamble(),
                State::AfterDelimiter => self.after_delimiter(&mut events)?,
                State::Headers => self.headers(&mut events)?,
                State::Body => self.body(&mut events),
                State::Done => {
                    self.buffer.clear();
                    false
                }
            };
            if !progressed {
                return Ok(events);
            }
        }
    }

    /// The body has ended: anything but a finished form is an error.
    pub fn finish(&self) -> Result<(), FormError> {
        match self.state {
            State::Done => Ok(()),
            State::Preamble => Err(FormError("the body has no part of the form".into())),
            _ => Err(FormError(
                "the form ends before its closing boundary".into(),
            )),
        }
    }

    fn skip_preamble(&mut self) -> bool {
        match self.delimiter.find(&self.buffer) {
            Some(at) => {
                self.buffer.drain(..at + self.delimiter_len);
                self.state = State::AfterDelimiter;
                true
            }
            None => {
                let keep = self.delimiter_len.min(self.buffer.len());
                self.buffer.drain(..self.buffer.len() - keep);
                false
            }
        }
    }

    fn after_delimiter(&mut self, events: &mut Vec<FormEvent>) -> Result<bool, FormError> {
        if self.buffer.starts_with(b"--") {
            events.push(FormEvent::End);
            self.state = State::Done;
            return Ok(true);
        }
        // Transport padding (spaces and tabs) may sit between a delimiter and its CRLF.
        let padding = self
            .buffer
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let rest = &self.buffer[padding..];
        if rest.len() < 2 {
            return Ok(false);
        }
        if !rest.starts_with(b"\r\n") {
            return Err(FormError(
                "a boundary is not followed by a line break".into(),
            ));
        }
        self.buffer.drain(..padding + 2);
        self.state = State::Headers;
        Ok(true)
    }

    fn headers(&mut self, events: &mut Vec<FormEvent>) -> Result<bool, FormError> {
        // A part with no headers at all starts with the blank line at once.
        let (text_end, skip) = if self.buffer.starts_with(b"\r\n") {
            (0, 2)
        } else {
            match self.headers_end.find(&self.buffer) {
                Some(at) => (at, at + 4),
                None if self.buffer.len() > MAX_HEADER_BYTES => {
                    return Err(FormError(format!(
                        "a part's headers are over {MAX_HEADER_BYTES} bytes"
                    )))
                }
                None => return Ok(false),
            }
        };
        if text_end > MAX_HEADER_BYTES {
            return Err(FormError(format!(
                "a part's headers are over {MAX_HEADER_BYTES} bytes"
            )));
        }
        let text = std::str::from_utf8(&self.buffer[..text_end])
            .map_err(|_| FormError("a part's headers are not UTF-8".into()))?;
        let headers = parse_headers(text)?;
        self.buffer.drain(..skip);
        events.push(FormEvent::Part(headers));
        self.state = State::Body;
        Ok(true)
    }

    fn body(&mut self, events: &mut Vec<FormEvent>) -> bool {
        match self.delimiter.find(&self.buffer) {
            Some(at) => {
                if at > 0 {
                    events.push(FormEvent::Data(self.buffer[..at].to_vec()));
                }
                events.push(FormEvent::PartEnd);
                self.buffer.drain(..at + self.delimiter_len);
                self.state = State::AfterDelimiter;
                true
            }
            None => {
                let safe = self.buffer.len().saturating_sub(self.delimiter_len - 1);
                if safe > 0 {
                    events.push(FormEvent::Data(self.buffer[..safe].to_vec()));
                    self.buffer.drain(..safe);
                }
                false
            }
        }
    }
}

/// Splits on `;` outside quotes: a quoted file name may hold one.
fn split_params(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

fn parse_headers(text: &str) -> Result<PartHeaders, FormError> {
    let mut headers = PartHeaders::default();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| FormError(format!("a part's header line {line:?} has no colon")))?;
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            let mut params = split_params(value).into_iter();
            let kind = params.next().unwrap_or_default().trim();
            if !kind.eq_ignore_ascii_case("form-data") {
                return Err(FormError(format!(
                    "a part's disposition is {kind:?}, not form-data"
                )));
            }
            for param in params {
                let Some((key, raw)) = param.split_once('=') else {
                    continue;
                };
                match key.trim().to_ascii_lowercase().as_str() {
                    "name" => headers.name = Some(unquote(raw.trim())),
                    "filename" => headers.filename = Some(unquote(raw.trim())),
                    _ => {}
                }
            }
        } else if name.trim().eq_ignore_ascii_case("content-type") && !value.is_empty() {
            headers.content_type = Some(value.to_string());
        }
    }
    Ok(headers)
}

/// A form of text fields and one file, written around the file's bytes so that they can stream
/// between `head` and `tail` (the body's length is theirs plus the file's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormEnvelope {
    /// The body's `Content-Type`, with its boundary.
    pub content_type: String,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

/// Lays out `fields` and then the file part, as a browser would.
pub fn envelope(
    boundary: &str,
    fields: &[(&str, String)],
    file_field: &str,
    filename: &str,
    file_type: &str,
) -> FormEnvelope {
    let mut head = String::new();
    for (name, value) in fields {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
            escape_quoted(name)
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
         Content-Type: {}\r\n\r\n",
        escape_quoted(file_field),
        escape_quoted(filename),
        file_type.replace(['\r', '\n'], "")
    ));
    FormEnvelope {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        head: head.into_bytes(),
        tail: format!("\r\n--{boundary}--\r\n").into_bytes(),
    }
}

/// What browsers do to a name inside quotes: a quote or a line break could end it early.
fn escape_quoted(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests;
