//! The file of a `multipart/form-data` upload, as a stream of its bytes: the form is read as it
//! arrives, so the file goes on into R2 without the request being held whole.

use std::collections::VecDeque;

use futures_util::StreamExt;
use ponte_core::multipart::{FormError, FormEvent, FormReader, PartHeaders};
use worker::web_sys::ReadableStream;

use crate::r2_stream::{chunks_of, Chunks};

/// The form field that holds the file.
pub const FILE_FIELD: &str = "file";
/// Text fields before the file are read and dropped; more than this before it is not a form
/// that carries a file.
const MAX_BYTES_BEFORE_FILE: usize = 64 * 1024;

/// Reads the form up to its `file` part and answers that part's headers and the stream of its
/// bytes, or `None` for a well-formed form without one. The stream fails if the form ends before
/// the part does, so a cut-off upload is never stored as if whole.
pub async fn file_part(
    body: ReadableStream,
    boundary: &str,
) -> Result<Option<(PartHeaders, Chunks)>, FormError> {
    let mut body = chunks_of(Some(body));
    let mut reader = FormReader::new(boundary);
    let mut seen = 0usize;
    let mut queued = VecDeque::new();
    let headers = loop {
        let Some(chunk) = body.next().await else {
            reader.finish()?;
            return Ok(None);
        };
        let chunk = chunk.map_err(FormError)?;
        let mut events = reader.feed(&chunk)?.into_iter();
        if let Some(headers) = events.by_ref().find_map(|event| match event {
            FormEvent::Part(headers) if headers.name.as_deref() == Some(FILE_FIELD) => {
                Some(headers)
            }
            _ => None,
        }) {
            queued.extend(events);
            break headers;
        }
        seen += chunk.len();
        if seen > MAX_BYTES_BEFORE_FILE {
            return Err(FormError(format!(
                "over {MAX_BYTES_BEFORE_FILE} bytes come before the {FILE_FIELD:?} field"
            )));
        }
    };
    let state = Part {
        body,
        reader,
        queued,
        ended: false,
    };
    let file = futures_util::stream::unfold(state, |mut part| async move {
        let next = part.next().await?;
        Some((next, part))
    })
    .boxed_local();
    Ok(Some((headers, file)))
}

struct Part {
    body: Chunks,
    reader: FormReader,
    /// Events read but not yet given out.
    queued: VecDeque<FormEvent>,
    ended: bool,
}

impl Part {
    /// The part's next bytes; `None` once it has ended.
    async fn next(&mut self) -> Option<Result<Vec<u8>, String>> {
        loop {
            if self.ended {
                return None;
            }
            while let Some(event) = self.queued.pop_front() {
                match event {
                    FormEvent::Data(bytes) => return Some(Ok(bytes)),
                    FormEvent::PartEnd | FormEvent::End => {
                        self.ended = true;
                        return None;
                    }
                    FormEvent::Part(_) => {}
                }
            }
            match self.body.next().await {
                Some(Ok(chunk)) => match self.reader.feed(&chunk) {
                    Ok(events) => self.queued.extend(events),
                    Err(e) => return self.fail(e.0),
                },
                Some(Err(e)) => return self.fail(e),
                None => return self.fail("the form ends before its file does".into()),
            }
        }
    }

    fn fail(&mut self, reason: String) -> Option<Result<Vec<u8>, String>> {
        self.ended = true;
        Some(Err(reason))
    }
}
