use super::*;

const BOUNDARY: &str = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

/// A form as a browser builds it: a text field, then a file.
fn form(file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"caption\"\r\n\r\n\
         Catálogo\r\n\
         --{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"cat;alogo.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Feeds `body` in chunks of `size`, gathering each part's headers and joined data.
fn read(body: &[u8], size: usize) -> Result<Vec<(PartHeaders, Vec<u8>)>, FormError> {
    let mut reader = FormReader::new(BOUNDARY);
    let mut parts: Vec<(PartHeaders, Vec<u8>)> = Vec::new();
    let mut ended = false;
    for chunk in body.chunks(size.max(1)) {
        for event in reader.feed(chunk)? {
            match event {
                FormEvent::Part(headers) => parts.push((headers, Vec::new())),
                FormEvent::Data(bytes) => parts
                    .last_mut()
                    .expect("data inside a part")
                    .1
                    .extend(bytes),
                FormEvent::PartEnd => {}
                FormEvent::End => ended = true,
            }
        }
    }
    reader.finish()?;
    assert!(ended, "a finished form reports its end");
    Ok(parts)
}

/// Bytes that look like the start of a delimiter, again and again.
fn tricky_file() -> Vec<u8> {
    let mut file = Vec::new();
    for i in 0..500u32 {
        file.extend_from_slice(b"\r\n--");
        file.extend_from_slice(&BOUNDARY.as_bytes()[..(i as usize % BOUNDARY.len())]);
        file.extend_from_slice(&i.to_le_bytes());
    }
    file
}

#[test]
fn a_browsers_form_gives_its_fields_and_the_files_exact_bytes_at_any_chunking() {
    let file = tricky_file();
    let body = form(&file);
    for size in [1, 2, 3, 7, 41, 42, 43, 64, 1000, body.len()] {
        let parts = read(&body, size).unwrap_or_else(|e| panic!("chunks of {size}: {e}"));
        assert_eq!(parts.len(), 2, "chunks of {size}");
        assert_eq!(parts[0].0.name.as_deref(), Some("caption"));
        assert_eq!(parts[0].0.filename, None);
        assert_eq!(parts[0].1, "Catálogo".as_bytes());
        let (headers, bytes) = &parts[1];
        assert_eq!(headers.name.as_deref(), Some("file"));
        assert_eq!(headers.filename.as_deref(), Some("cat;alogo.pdf"));
        assert_eq!(headers.content_type.as_deref(), Some("application/pdf"));
        assert!(
            bytes == &file,
            "chunks of {size}: the file's bytes, exactly"
        );
    }
}

#[test]
fn held_back_bytes_stay_small_whatever_the_file() {
    let mut reader = FormReader::new(BOUNDARY);
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n"
    );
    reader.feed(head.as_bytes()).expect("headers");
    let mut passed = 0;
    for _ in 0..100 {
        for event in reader.feed(&[7u8; 65_536]).expect("data") {
            if let FormEvent::Data(bytes) = event {
                passed += bytes.len();
            }
        }
        assert!(reader.buffer.len() < 100, "{} held", reader.buffer.len());
    }
    assert!(passed > 100 * 65_536 - 100);
}

#[test]
fn a_preamble_and_an_epilogue_are_ignored_and_a_part_may_have_no_headers() {
    let body = format!(
        "this is a preamble\r\n--{BOUNDARY}\r\n\r\nbare\r\n--{BOUNDARY}  \r\n\
         content-disposition: FORM-DATA; NAME=file; filename=\"a \\\"q\\\".txt\"\r\n\r\n\
         x\r\n--{BOUNDARY}--epilogue\r\n--{BOUNDARY}\r\nignored"
    );
    let parts = read(body.as_bytes(), 5).expect("a valid form");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], (PartHeaders::default(), b"bare".to_vec()));
    assert_eq!(parts[1].0.name.as_deref(), Some("file"));
    assert_eq!(parts[1].0.filename.as_deref(), Some("a \"q\".txt"));
    assert_eq!(parts[1].1, b"x");
}

#[test]
fn broken_forms_say_what_is_wrong() {
    let cases: [(String, &str); 5] = [
        ("no delimiter anywhere".into(), "no part"),
        (
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc"),
            "before its closing boundary",
        ),
        (
            format!("--{BOUNDARY}xx\r\n\r\n"),
            "not followed by a line break",
        ),
        (
            format!("--{BOUNDARY}\r\nContent-Disposition: attachment\r\n\r\nx\r\n--{BOUNDARY}--"),
            "not form-data",
        ),
        (
            format!("--{BOUNDARY}\r\nno colon here\r\n\r\nx\r\n--{BOUNDARY}--"),
            "no colon",
        ),
    ];
    for (body, expected) in cases {
        let error = read(body.as_bytes(), 4).expect_err(&body);
        assert!(error.0.contains(expected), "{body:?}: {error}");
    }
    let endless = format!("--{BOUNDARY}\r\nX-Pad: {}", "a".repeat(10_000));
    let error = read(endless.as_bytes(), 512).expect_err("headers never end");
    assert!(error.0.contains("headers are over"), "{error}");
}

#[test]
fn the_boundary_comes_from_the_content_type() {
    assert_eq!(
        boundary("multipart/form-data; boundary=abc123").as_deref(),
        Ok("abc123")
    );
    assert_eq!(
        boundary("Multipart/Form-Data; charset=utf-8; Boundary=\"a b:c\"").as_deref(),
        Ok("a b:c")
    );
    for bad in [
        "multipart/mixed; boundary=x",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/json",
    ] {
        assert!(boundary(bad).is_err(), "{bad}");
    }
    let long = format!("multipart/form-data; boundary={}", "x".repeat(71));
    assert!(boundary(&long).is_err());
}

#[test]
fn an_envelope_around_a_file_reads_back_as_its_fields_and_file() {
    let file = tricky_file();
    let written = envelope(
        BOUNDARY,
        &[
            ("messaging_product", "whatsapp".to_string()),
            ("type", "image/webp".into()),
        ],
        "file",
        "a \"b\"\r\nContent-Type: text/html.webp",
        "image/webp",
    );
    assert_eq!(boundary(&written.content_type).as_deref(), Ok(BOUNDARY));
    let body = [written.head.as_slice(), &file, &written.tail].concat();
    let parts = read(&body, 999).expect("the envelope is a form");
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].0.name.as_deref(), Some("messaging_product"));
    assert_eq!(parts[0].1, b"whatsapp");
    assert_eq!(parts[1].1, b"image/webp");
    let (headers, bytes) = &parts[2];
    assert_eq!(headers.name.as_deref(), Some("file"));
    assert_eq!(
        headers.filename.as_deref(),
        Some("a %22b%22%0D%0AContent-Type: text/html.webp"),
        "a name cannot add a header"
    );
    assert_eq!(headers.content_type.as_deref(), Some("image/webp"));
    assert!(bytes == &file);
}
