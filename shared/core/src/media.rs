//! Attachments copied into R2 and served back: how large WhatsApp lets them be, which provider
//! links lead to the bytes, signed expiring links, how served bytes are shown, byte ranges and
//! checksums. Pure, so that every decision media-fetch makes is tested natively.
//!
//! Served media is a stranger's upload: links expire, only types a browser cannot run are shown
//! inline, and file names are cut down to characters that cannot break a header or a path.

use base64::Engine;

use crate::model::Media;
use crate::providers::{HttpRequest, MediaFetch};
use crate::signature::{constant_time_eq, hmac_sha256};

// Meta writes its limits in MB and KB; binary units are the reading that refuses nothing Meta
// accepts, since 5 MiB > 5 MB.
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

pub const WHATSAPP_IMAGE_LIMIT: u64 = 5 * MIB;
pub const WHATSAPP_AUDIO_LIMIT: u64 = 16 * MIB;
pub const WHATSAPP_VIDEO_LIMIT: u64 = 16 * MIB;
pub const WHATSAPP_DOCUMENT_LIMIT: u64 = 100 * MIB;
/// Animated stickers; static ones are held to 100 KB, but nothing here tells them apart.
pub const WHATSAPP_STICKER_LIMIT: u64 = 500 * KIB;

/// The largest file WhatsApp carries with this content type, from the Cloud API's table of
/// supported media (<https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media>),
/// which WhatsApp Web gateways are held to as well.
///
/// Only the types the table lists for images, audio and video get those kinds' limits: any
/// other type can only travel as a document, so it gets the document limit. Always `Some`,
/// since any type at all can be a document.
///
/// Only the content type is known here, so two cases are ambiguous and resolved towards
/// accepting: `image/webp` is a sticker (500 KB) or an image sent as a file, so it gets the image
/// limit; and a JPEG, MP3 or MP4 sent as a document (100 MB) is held to its media kind's limit.
pub fn whatsapp_media_limit(content_type: &str) -> Option<u64> {
    let limit = match essence(content_type).as_str() {
        "image/jpeg" | "image/jpg" | "image/png" | "image/webp" => WHATSAPP_IMAGE_LIMIT,
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => {
            WHATSAPP_AUDIO_LIMIT
        }
        "video/mp4" | "video/3gp" | "video/3gpp" => WHATSAPP_VIDEO_LIMIT,
        _ => WHATSAPP_DOCUMENT_LIMIT,
    };
    Some(limit)
}

/// A plain `GET` of the link a WhatsApp Web gateway put in `media`, when that link leads to the
/// file itself: an http(s) URL that is not one of WhatsApp's own encrypted CDN links. Those
/// (`https://mmg.whatsapp.net/….enc`) hold the file encrypted with the message's `mediaKey`,
/// which Ponte does not keep, so copying them would store noise; a gateway must be set up to
/// re-host media (its S3 upload) for the link to be copyable. No credential goes with the
/// request: the gateways' re-hosted links are public or presigned.
pub fn direct_fetch(media: &Media) -> Option<MediaFetch> {
    let url = media.url.as_deref()?.trim();
    let host = http_host(url)?;
    if host == "mmg.whatsapp.net" || url_path(url).to_ascii_lowercase().ends_with(".enc") {
        return None;
    }
    Some(MediaFetch::Direct(HttpRequest::get(url)))
}

/// The lower-cased host of an http(s) URL, without credentials or port; `None` for any other
/// scheme (`data:`, `ftp:`), a URL without a host, or one with whitespace in it.
pub(crate) fn http_host(url: &str) -> Option<String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let scheme_end = url.find("://")?;
    let scheme = url.get(..scheme_end)?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let rest = url.get(scheme_end + 3..)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        // An IPv6 literal keeps its colons.
        host_port.split_inclusive(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Where a URL's request goes, as `scheme://host:port` with the scheme's default port filled
/// in: two URLs reach the same server exactly when their origins are equal, whatever their
/// paths (a host alone is not enough: one machine serves many ports).
pub(crate) fn http_origin(url: &str) -> Option<String> {
    let host = http_host(url)?;
    let scheme = url.get(..url.find("://")?)?.to_ascii_lowercase();
    let rest = url.get(scheme.len() + 3..)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let after_host = match host_port.rfind(']') {
        Some(end) => &host_port[end + 1..],
        None => host_port.find(':').map_or("", |at| &host_port[at..]),
    };
    let port = match after_host.strip_prefix(':').filter(|p| !p.is_empty()) {
        Some(port) => port.parse::<u16>().ok()?,
        None if scheme == "https" => 443,
        None => 80,
    };
    Some(format!("{scheme}://{host}:{port}"))
}

/// The path of a URL already known to be http(s): what `.enc` is looked for in, since WhatsApp's
/// links carry a query after it.
fn url_path(url: &str) -> &str {
    let after_scheme = url
        .find("://")
        .map_or(url, |i| url.get(i + 3..).unwrap_or(""));
    let path_start = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let path = after_scheme.get(path_start..).unwrap_or("");
    path.split(['?', '#']).next().unwrap_or("")
}

/// The `type/subtype` of a content type, lower-cased, parameters (`; codecs=opus`) dropped.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Signed links

/// Sets this scheme's MACs apart from every other use of the same key.
const LINK_PURPOSE: &str = "ponte/media/v1";

/// The signed text. The expiry is last and has no newline in it, so an id holding a newline
/// still cannot pass for another id with another expiry.
fn link_message(media_id: &str, expires_at_s: i64) -> String {
    format!("{LINK_PURPOSE}\n{media_id}\n{expires_at_s}")
}

/// The hex HMAC-SHA256 that lets anyone holding the link fetch `media_id` until `expires_at_s`
/// (unix seconds).
pub fn sign_link(key: &[u8], media_id: &str, expires_at_s: i64) -> String {
    hex::encode(hmac_sha256(
        key,
        link_message(media_id, expires_at_s).as_bytes(),
    ))
}

/// `exp=…&sig=…`, to put after `/media/{id}?`. Both values are URL-safe as they are.
pub fn link_query(key: &[u8], media_id: &str, expires_at_s: i64) -> String {
    format!(
        "exp={expires_at_s}&sig={}",
        sign_link(key, media_id, expires_at_s)
    )
}

/// `exp=…&kid=…&sig=…`: [`link_query`] naming the master key it was signed under, so a link
/// made before a rotation is checked with the previous key. The key id is not signed: naming
/// another key only makes the signature fail.
pub fn link_query_with_key_id(
    key: &[u8],
    key_id: &str,
    media_id: &str,
    expires_at_s: i64,
) -> String {
    format!(
        "exp={expires_at_s}&kid={key_id}&sig={}",
        sign_link(key, media_id, expires_at_s)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Genuine, but past its expiry.
    Expired,
    /// Not signed with this key for this media and expiry.
    BadSignature,
    /// The link lacks `exp` or `sig`, or they are not a number and 64 hex digits.
    Malformed,
}

impl LinkError {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Expired => "the media link has expired",
            Self::BadSignature => "the media link's signature does not match",
            Self::Malformed => "the media link needs exp (unix seconds) and sig (64 hex digits)",
        }
    }
}

/// Whether a link is genuine and still valid at `now_s`: up to, not including, its expiry
/// second. The signature is checked first, so a forged link is reported as forged even when its
/// expiry has passed, and an expired answer always means a link Ponte made.
pub fn verify_link(
    key: &[u8],
    media_id: &str,
    expires_at_s: i64,
    sig_hex: &str,
    now_s: i64,
) -> Result<(), LinkError> {
    let given = decode_hex_32(sig_hex.trim()).ok_or(LinkError::Malformed)?;
    let expected = hmac_sha256(key, link_message(media_id, expires_at_s).as_bytes());
    if !constant_time_eq(&given, &expected) {
        return Err(LinkError::BadSignature);
    }
    if now_s >= expires_at_s {
        return Err(LinkError::Expired);
    }
    Ok(())
}

/// [`verify_link`] over a raw query string (`exp=…&sig=…`, other parameters ignored). A
/// parameter given twice is malformed: which of the two counts would otherwise depend on who
/// reads the query.
pub fn verify_link_query(
    key: &[u8],
    media_id: &str,
    query: &str,
    now_s: i64,
) -> Result<(), LinkError> {
    let mut exp = None;
    let mut sig = None;
    for pair in query.trim_start_matches('?').split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "exp" => &mut exp,
            "sig" => &mut sig,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(LinkError::Malformed);
        }
    }
    let (Some(exp), Some(sig)) = (exp, sig) else {
        return Err(LinkError::Malformed);
    };
    let valid_number = !exp.is_empty()
        && exp
            .strip_prefix('-')
            .unwrap_or(exp)
            .bytes()
            .all(|b| b.is_ascii_digit());
    let expires_at_s: i64 = valid_number
        .then(|| exp.parse().ok())
        .flatten()
        .ok_or(LinkError::Malformed)?;
    verify_link(key, media_id, expires_at_s, sig, now_s)
}

fn decode_hex_32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// How served bytes are shown

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inline => "inline",
            Self::Attachment => "attachment",
        }
    }
}

/// Inline only for what a browser renders without running it: raster images and audio or
/// video. Anything that can carry script (HTML, SVG, XML, PDF) or that is unknown is downloaded
/// instead, so an uploaded page never runs on Ponte's origin.
pub fn disposition(content_type: &str) -> Disposition {
    let essence = essence(content_type);
    let media_family = essence
        .strip_prefix("audio/")
        .or_else(|| essence.strip_prefix("video/"))
        .is_some_and(is_token);
    let raster = matches!(
        essence.as_str(),
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    );
    if raster || media_family {
        Disposition::Inline
    } else {
        Disposition::Attachment
    }
}

/// An HTTP token (RFC 9110 §5.6.2): what a subtype is made of. Rules out `video/mp4,text/html`
/// and other lists or junk posing as one type.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

const MAX_FILENAME_CHARS: usize = 100;
/// An extension longer than this is not kept whole when a name is cut.
const MAX_KEPT_EXTENSION_CHARS: usize = 16;

/// A file name safe to put in a `Content-Disposition` header as it is: the last path segment of
/// `name`, with ASCII letters, digits, space, `.`, `-`, `_`, `(` and `)` kept, Latin accented
/// letters folded to their base letter (`ç` → `c`) and everything else `_`; leading and trailing
/// dots and spaces dropped (a hidden file, `..`, a name Windows would truncate); at most 100
/// characters, keeping the extension. An empty result is `fallback`, cleaned the same way, else
/// `file`.
///
/// ASCII only because a header value cannot carry other characters raw (the Workers runtime
/// refuses any above U+00FF); [`content_disposition`] adds the accented name for browsers.
pub fn safe_filename(name: Option<&str>, fallback: &str) -> String {
    safe_unicode_filename(name, fallback)
        .chars()
        .map(fold_to_ascii)
        .collect()
}

/// [`safe_filename`] before folding: letters and digits of any script kept.
fn safe_unicode_filename(name: Option<&str>, fallback: &str) -> String {
    name.map(clean_filename)
        .filter(|n| !n.is_empty())
        .or_else(|| Some(clean_filename(fallback)).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| "file".to_string())
}

fn clean_filename(name: &str) -> String {
    let last_segment = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last_segment
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    cap_filename(trim_filename(&kept))
}

/// The Latin-1 letters of Portuguese, Spanish and French names without their accents; any other
/// non-ASCII character is `_`. One character for one, so a cleaned name keeps its length.
fn fold_to_ascii(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'ç' => 'c',
        'Ç' => 'C',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'O',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        _ => '_',
    }
}

fn trim_filename(name: &str) -> &str {
    name.trim_matches(|c| c == '.' || c == ' ')
}

fn cap_filename(name: &str) -> String {
    if name.chars().count() <= MAX_FILENAME_CHARS {
        return name.to_string();
    }
    let extension = name
        .rfind('.')
        .filter(|&dot| dot > 0)
        .and_then(|dot| name.get(dot..))
        .filter(|ext| ext.chars().count() <= MAX_KEPT_EXTENSION_CHARS);
    match extension {
        Some(ext) => {
            let stem_chars = MAX_FILENAME_CHARS - ext.chars().count();
            let stem: String = name.chars().take(stem_chars).collect();
            format!("{}{ext}", stem.trim_end_matches([' ', '.']))
        }
        None => {
            let cut: String = name.chars().take(MAX_FILENAME_CHARS).collect();
            trim_filename(&cut).to_string()
        }
    }
}

/// A whole `Content-Disposition` value, in ASCII: `attachment; filename="…"` with
/// [`safe_filename`]'s name, plus RFC 8187's `filename*=UTF-8''…` when the name had letters
/// ASCII lacks, so that browsers show `Orçamento março.pdf` while older clients get
/// `Orcamento marco.pdf`.
pub fn content_disposition(disposition: Disposition, name: Option<&str>, fallback: &str) -> String {
    let unicode = safe_unicode_filename(name, fallback);
    let ascii: String = unicode.chars().map(fold_to_ascii).collect();
    let mut value = format!("{}; filename=\"{ascii}\"", disposition.as_str());
    if ascii != unicode {
        value.push_str("; filename*=UTF-8''");
        for byte in unicode.bytes() {
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                value.push(char::from(byte));
            } else {
                value.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    value
}

// ---------------------------------------------------------------------------------------------
// Byte ranges

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// The range starts at or past the end: answer 416 with `Content-Range: bytes */{size}`.
    Unsatisfiable,
}

/// The one byte range a `Range` header asks of a body of `size` bytes, as inclusive
/// `(first, last)`, the last clamped to the body. `Ok(None)` means serve the whole body: another
/// unit, several ranges (which would need a multipart answer), or a header that is not a valid
/// range at all (RFC 9110 §14.2 says to ignore those), and a suffix range of an empty body.
pub fn parse_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, RangeError> {
    let header = header.trim();
    let Some((unit, spec)) = header.split_once('=') else {
        return Ok(None);
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Some(suffix) = digits(last) else {
            return Ok(None);
        };
        if suffix == 0 {
            return Err(RangeError::Unsatisfiable);
        }
        if size == 0 {
            return Ok(None);
        }
        return Ok(Some((size.saturating_sub(suffix), size - 1)));
    }
    let Some(first) = digits(first) else {
        return Ok(None);
    };
    let last = if last.is_empty() {
        u64::MAX
    } else {
        match digits(last) {
            Some(last) if last >= first => last,
            _ => return Ok(None),
        }
    };
    if first >= size {
        return Err(RangeError::Unsatisfiable);
    }
    Ok(Some((first, last.min(size - 1))))
}

/// A run of ASCII digits as a number, saturating: a position past `u64::MAX` is still past the
/// end of any body.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

// ---------------------------------------------------------------------------------------------
// Checksums

/// Whether `actual` is the SHA-256 a provider gave: 64 hex digits, or 32 bytes in base64
/// (standard or URL-safe alphabet, padded or not), as Meta's webhooks and Evolution's
/// `fileSha256` give it. Anything else, a truncated hash included, matches nothing.
pub fn sha256_matches(expected: &str, actual: &[u8; 32]) -> bool {
    parse_sha256(expected).is_some_and(|expected| constant_time_eq(&expected, actual))
}

/// A provider's SHA-256 in either form [`sha256_matches`] reads, or `None` when it is not one:
/// a caller can tell a value it cannot check from bytes that do not match it.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if let Some(bytes) = decode_hex_32(text) {
        return Some(bytes);
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- limits

    #[test]
    fn limits_follow_whatsapps_table_in_binary_units() {
        assert_eq!(whatsapp_media_limit("image/jpeg"), Some(5 * 1024 * 1024));
        assert_eq!(whatsapp_media_limit("image/png"), Some(5_242_880));
        assert_eq!(whatsapp_media_limit("audio/mpeg"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("audio/aac"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("audio/amr"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("audio/mp4"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("video/mp4"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("video/3gpp"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("video/3gp"), Some(16_777_216));
        assert_eq!(whatsapp_media_limit("application/pdf"), Some(104_857_600));
        assert_eq!(WHATSAPP_STICKER_LIMIT, 512_000);
    }

    #[test]
    fn limits_ignore_parameters_case_and_spaces() {
        assert_eq!(
            whatsapp_media_limit("audio/ogg; codecs=opus"),
            Some(WHATSAPP_AUDIO_LIMIT)
        );
        assert_eq!(
            whatsapp_media_limit("  Image/JPEG ;q=1"),
            Some(WHATSAPP_IMAGE_LIMIT)
        );
    }

    #[test]
    fn webp_gets_the_image_limit_since_a_sticker_cannot_be_told_apart() {
        assert_eq!(
            whatsapp_media_limit("image/webp"),
            Some(WHATSAPP_IMAGE_LIMIT)
        );
    }

    #[test]
    fn any_other_type_can_only_be_a_document() {
        for ct in [
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/plain",
            "video/quicktime",
            "audio/wav",
            "image/tiff",
            "",
            "garbage",
        ] {
            assert_eq!(
                whatsapp_media_limit(ct),
                Some(WHATSAPP_DOCUMENT_LIMIT),
                "{ct}"
            );
        }
    }

    // --- direct links

    fn media_at(url: &str) -> Media {
        Media {
            url: Some(url.into()),
            ..Media::default()
        }
    }

    fn get(url: &str) -> Option<MediaFetch> {
        Some(MediaFetch::Direct(HttpRequest::get(url)))
    }

    #[test]
    fn an_http_link_is_one_plain_get() {
        let url = "https://storage.z-api.io/instances/3C67/3EB0.jpeg";
        assert_eq!(direct_fetch(&media_at(url)), get(url));
        let local = "http://127.0.0.1:8791/media/a.ogg?x=1";
        assert_eq!(direct_fetch(&media_at(local)), get(local));
        let upper = "HTTPS://S3.example.com/a.pdf";
        assert_eq!(direct_fetch(&media_at(upper)), get(upper));
    }

    #[test]
    fn the_link_is_trimmed() {
        assert_eq!(
            direct_fetch(&media_at("  https://s3.example.com/a.jpg \n")),
            get("https://s3.example.com/a.jpg")
        );
    }

    #[test]
    fn no_link_or_a_link_that_is_not_http_is_nothing_to_fetch() {
        assert_eq!(direct_fetch(&Media::default()), None);
        for url in [
            "",
            "data:image/jpeg;base64,/9j/4AAQ",
            "ftp://files.example.com/a.jpg",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://user@/x",
            "/relative/path.jpg",
            "https://exa mple.com/a.jpg",
            "https://example.com/a b.jpg",
        ] {
            assert_eq!(direct_fetch(&media_at(url)), None, "{url:?}");
        }
    }

    #[test]
    fn whatsapps_encrypted_links_are_nothing_to_fetch() {
        for url in [
            "https://mmg.whatsapp.net/v/t62.7118-24/24731519_n.enc?ccb=11-4&oh=01&mms3=true",
            "https://MMG.WhatsApp.net/d/f/AbC",
            "https://mmg.whatsapp.net:443/d/f/AbC",
            "https://media-gru1-1.cdn.whatsapp.net/v/t62.7117-24/voice.enc",
            "https://example.com/v/file.ENC#frag",
        ] {
            assert_eq!(direct_fetch(&media_at(url)), None, "{url}");
        }
    }

    #[test]
    fn enc_counts_only_at_the_end_of_the_path() {
        let in_query = "https://s3.example.com/a.jpg?name=b.enc";
        assert_eq!(direct_fetch(&media_at(in_query)), get(in_query));
        let in_middle = "https://s3.example.com/file.enc/a.jpg";
        assert_eq!(direct_fetch(&media_at(in_middle)), get(in_middle));
        let lookalike = "https://mmg.whatsapp.net.example.com/a.jpg";
        assert_eq!(direct_fetch(&media_at(lookalike)), get(lookalike));
    }

    #[test]
    fn hosts_are_read_past_credentials_ports_and_brackets() {
        assert_eq!(
            http_host("https://u:p@mmg.whatsapp.net:8443/x").as_deref(),
            Some("mmg.whatsapp.net")
        );
        assert_eq!(http_host("http://[::1]:8080/x").as_deref(), Some("[::1]"));
        assert_eq!(
            http_host("https://Example.COM?x=1").as_deref(),
            Some("example.com")
        );
        assert_eq!(url_path("https://example.com?x=a.enc"), "");
        assert_eq!(url_path("https://example.com/a/b.enc?x=1"), "/a/b.enc");
    }

    // --- links

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let sig = sign_link(KEY, "med_1", NOW + 60);
        assert_eq!(sig.len(), 64);
        assert!(sig.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(verify_link(KEY, "med_1", NOW + 60, &sig, NOW), Ok(()));
        assert_eq!(verify_link(KEY, "med_1", NOW + 60, &sig, NOW + 59), Ok(()));
        assert_eq!(
            verify_link(KEY, "med_1", NOW + 60, &sig, NOW + 60),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify_link(KEY, "med_1", NOW + 60, &sig, NOW + 3600),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn the_signature_is_a_keyed_hash_of_purpose_id_and_expiry() {
        let message = format!("ponte/media/v1\nmed_1\n{}", NOW + 60);
        assert_eq!(
            sign_link(KEY, "med_1", NOW + 60),
            hex::encode(hmac_sha256(KEY, message.as_bytes()))
        );
        // The purpose keeps a MAC made for another use of the key from passing as a link.
        let bare = format!("med_1\n{}", NOW + 60);
        assert_ne!(
            sign_link(KEY, "med_1", NOW + 60),
            hex::encode(hmac_sha256(KEY, bare.as_bytes()))
        );
    }

    #[test]
    fn a_link_names_its_key_id_and_still_verifies_under_that_key_only() {
        let query = link_query_with_key_id(b"key-b", "ab12cd34", "med_1", 2_000);
        assert!(query.starts_with("exp=2000&kid=ab12cd34&sig="), "{query}");
        assert_eq!(verify_link_query(b"key-b", "med_1", &query, 1_000), Ok(()));
        assert_eq!(
            verify_link_query(b"key-a", "med_1", &query, 1_000),
            Err(LinkError::BadSignature)
        );
        // The same signature as a link without a key id: the id only picks the key.
        let legacy = link_query(b"key-b", "med_1", 2_000);
        assert_eq!(query.replace("kid=ab12cd34&", ""), legacy);
    }

    #[test]
    fn a_link_for_another_id_expiry_or_key_is_refused() {
        let sig = sign_link(KEY, "med_1", NOW + 60);
        assert_eq!(
            verify_link(KEY, "med_2", NOW + 60, &sig, NOW),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify_link(KEY, "med_1", NOW + 61, &sig, NOW),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify_link(b"another key", "med_1", NOW + 60, &sig, NOW),
            Err(LinkError::BadSignature)
        );
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify_link(KEY, "med_1", NOW + 60, &flipped, NOW),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn an_id_with_a_newline_cannot_borrow_another_links_expiry() {
        let sig = sign_link(KEY, "a\n1", NOW + 60);
        assert_eq!(
            verify_link(KEY, "a", NOW + 60, &sig, NOW),
            Err(LinkError::BadSignature)
        );
        assert_ne!(sign_link(KEY, "a\n1", 2), sign_link(KEY, "a", 12));
    }

    #[test]
    fn a_forged_expired_link_is_reported_as_forged() {
        let sig = sign_link(b"attacker", "med_1", NOW - 1);
        assert_eq!(
            verify_link(KEY, "med_1", NOW - 1, &sig, NOW),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn uppercase_hex_is_the_same_signature() {
        let sig = sign_link(KEY, "med_1", NOW + 60).to_uppercase();
        assert_eq!(verify_link(KEY, "med_1", NOW + 60, &sig, NOW), Ok(()));
    }

    #[test]
    fn a_signature_that_is_not_64_hex_digits_is_malformed() {
        let sig = sign_link(KEY, "med_1", NOW + 60);
        for bad in [
            String::new(),
            "zz".repeat(32),
            sig[..62].to_string(),
            format!("{sig}00"),
            format!("{}g", &sig[..63]),
        ] {
            assert_eq!(
                verify_link(KEY, "med_1", NOW + 60, &bad, NOW),
                Err(LinkError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_query_carries_expiry_and_signature() {
        let query = link_query(KEY, "med_1", NOW + 60);
        assert_eq!(
            query,
            format!("exp={}&sig={}", NOW + 60, sign_link(KEY, "med_1", NOW + 60))
        );
        assert_eq!(verify_link_query(KEY, "med_1", &query, NOW), Ok(()));
        assert_eq!(
            verify_link_query(KEY, "med_1", &format!("?{query}"), NOW),
            Ok(())
        );
        assert_eq!(
            verify_link_query(KEY, "med_1", &format!("access_token=x&{query}&z"), NOW),
            Ok(())
        );
        assert_eq!(
            verify_link_query(KEY, "med_1", &query, NOW + 60),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify_link_query(KEY, "med_9", &query, NOW),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn a_query_without_both_parts_or_with_either_twice_is_malformed() {
        let sig = sign_link(KEY, "med_1", NOW + 60);
        let exp = NOW + 60;
        for query in [
            String::new(),
            format!("sig={sig}"),
            format!("exp={exp}"),
            format!("exp=&sig={sig}"),
            format!("exp=+{exp}&sig={sig}"),
            format!("exp={exp}x&sig={sig}"),
            format!("exp=99999999999999999999&sig={sig}"),
            format!("exp={exp}&sig={sig}&exp={}", exp + 999),
            format!("exp={exp}&sig={sig}&sig={sig}"),
        ] {
            assert_eq!(
                verify_link_query(KEY, "med_1", &query, NOW),
                Err(LinkError::Malformed),
                "{query}"
            );
        }
    }

    #[test]
    fn a_negative_expiry_is_a_number_and_long_past() {
        let query = link_query(KEY, "med_1", -5);
        assert_eq!(
            verify_link_query(KEY, "med_1", &query, NOW),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn each_link_error_says_what_is_wrong() {
        assert!(LinkError::Expired.describe().contains("expired"));
        assert!(LinkError::BadSignature.describe().contains("signature"));
        assert!(LinkError::Malformed.describe().contains("exp"));
    }

    // --- disposition

    #[test]
    fn raster_images_audio_and_video_are_shown_inline() {
        for ct in [
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "audio/ogg; codecs=opus",
            "audio/mpeg",
            "video/mp4",
            "VIDEO/MP4",
            " video/3gpp ",
            "audio/x-m4a",
            "video/vnd.example+mp4",
        ] {
            assert_eq!(disposition(ct), Disposition::Inline, "{ct}");
        }
    }

    #[test]
    fn anything_that_can_carry_script_or_is_unknown_is_downloaded() {
        for ct in [
            "text/html",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/xml",
            "text/xml",
            "application/xhtml+xml",
            "application/pdf",
            "application/javascript",
            "text/plain",
            "image/tiff",
            "image/jpeg2",
            "image/",
            "audio/",
            "video/",
            "video/mp4,text/html",
            "video/mp4 text/html",
            "audio",
            "application/octet-stream",
            "",
            "*/*",
        ] {
            assert_eq!(disposition(ct), Disposition::Attachment, "{ct:?}");
        }
    }

    #[test]
    fn dispositions_are_named_as_the_header_names_them() {
        assert_eq!(Disposition::Inline.as_str(), "inline");
        assert_eq!(Disposition::Attachment.as_str(), "attachment");
    }

    // --- file names

    #[test]
    fn a_plain_name_is_kept() {
        assert_eq!(
            safe_filename(Some("Nota Fiscal (1)_v2-final.pdf"), "x"),
            "Nota Fiscal (1)_v2-final.pdf"
        );
    }

    #[test]
    fn accented_latin_letters_lose_their_accents_and_other_scripts_become_underscores() {
        assert_eq!(
            safe_filename(Some("Orçamento março ÁÉÍÓÚ ãõ ñ ü.xlsx"), "x"),
            "Orcamento marco AEIOU ao n u.xlsx"
        );
        assert_eq!(safe_filename(Some("报告.pdf"), "x"), "__.pdf");
        assert_eq!(safe_filename(Some("Łódź.txt"), "x"), "_od_.txt");
        assert!(safe_filename(Some("ÿ€ß🙂ć"), "x").is_ascii());
    }

    #[test]
    fn other_characters_become_underscores() {
        assert_eq!(
            safe_filename(Some("a\"b;c<d>e:f*g?h|i.txt"), "x"),
            "a_b_c_d_e_f_g_h_i.txt"
        );
        assert_eq!(safe_filename(Some("a\tb\u{0}c🙂.txt"), "x"), "a_b_c_.txt");
        // Right-to-left override: `cod.exe` shown as `exe.doc` is spoofed no more.
        assert_eq!(
            safe_filename(Some("invoice\u{202E}cod.exe"), "x"),
            "invoice_cod.exe"
        );
    }

    #[test]
    fn a_header_break_cannot_survive() {
        let name = safe_filename(Some("a\r\nSet-Cookie: x=1"), "x");
        assert_eq!(name, "a__Set-Cookie_ x_1");
        assert!(!name.contains(['\r', '\n', '"', ';', ':', '=']));
    }

    #[test]
    fn only_the_last_path_segment_is_kept() {
        assert_eq!(safe_filename(Some("../../etc/passwd"), "x"), "passwd");
        assert_eq!(
            safe_filename(Some("C:\\Users\\ana\\foto.jpg"), "x"),
            "foto.jpg"
        );
        assert_eq!(safe_filename(Some("dir/"), "fallback"), "fallback");
    }

    #[test]
    fn dots_and_spaces_at_the_ends_are_dropped() {
        assert_eq!(safe_filename(Some(".bashrc"), "x"), "bashrc");
        assert_eq!(safe_filename(Some(" report.pdf. "), "x"), "report.pdf");
        assert_eq!(safe_filename(Some(".."), "media"), "media");
        assert_eq!(safe_filename(Some("..."), "media"), "media");
    }

    #[test]
    fn an_empty_name_is_the_fallback_and_an_unusable_fallback_is_file() {
        assert_eq!(safe_filename(None, "med_1.jpg"), "med_1.jpg");
        assert_eq!(safe_filename(Some(""), "med_1"), "med_1");
        assert_eq!(safe_filename(Some("   "), "med_1"), "med_1");
        assert_eq!(safe_filename(None, "a/b\"c"), "b_c");
        assert_eq!(safe_filename(None, ""), "file");
        assert_eq!(safe_filename(Some("/"), ".."), "file");
    }

    #[test]
    fn long_names_are_cut_to_100_characters_keeping_the_extension() {
        let long = format!("{}.pdf", "a".repeat(300));
        let cut = safe_filename(Some(&long), "x");
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with("a.pdf"), "{cut}");

        let accented = format!("{}.docx", "ç".repeat(150));
        let cut = safe_filename(Some(&accented), "x");
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with("c.docx"), "{cut}");

        let exact = "b".repeat(100);
        assert_eq!(safe_filename(Some(&exact), "x"), exact);
    }

    #[test]
    fn a_long_name_without_a_short_extension_is_cut_plainly() {
        let no_ext = "c".repeat(150);
        assert_eq!(safe_filename(Some(&no_ext), "x"), "c".repeat(100));
        let long_ext = format!("d.{}", "e".repeat(120));
        let cut = safe_filename(Some(&long_ext), "x");
        assert_eq!(cut, format!("d.{}", "e".repeat(98)));
        // A cut that ends on a space or dot loses it, as a short name would.
        let spaced = format!("{} {}", "f".repeat(99), "g".repeat(10));
        assert_eq!(safe_filename(Some(&spaced), "x"), "f".repeat(99));
    }

    #[test]
    fn the_header_value_is_ascii_and_keeps_accents_in_filename_star() {
        assert_eq!(
            content_disposition(Disposition::Attachment, Some("nota.pdf"), "x"),
            "attachment; filename=\"nota.pdf\""
        );
        assert_eq!(
            content_disposition(Disposition::Inline, None, "med_1"),
            "inline; filename=\"med_1\""
        );
        let value = content_disposition(Disposition::Attachment, Some("Orçamento março.pdf"), "x");
        assert_eq!(
            value,
            "attachment; filename=\"Orcamento marco.pdf\"; \
             filename*=UTF-8''Or%C3%A7amento%20mar%C3%A7o.pdf"
        );
        assert!(value.is_ascii());
        assert_eq!(
            content_disposition(Disposition::Inline, Some("报告.pdf"), "x"),
            "inline; filename=\"__.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
        );
        let hostile = content_disposition(Disposition::Attachment, Some("a\"; x=\"y\r\n"), "x");
        assert_eq!(hostile, "attachment; filename=\"a__ x__y__\"");
    }

    // --- ranges

    #[test]
    fn the_three_single_range_forms() {
        assert_eq!(parse_range("bytes=0-499", 1000), Ok(Some((0, 499))));
        assert_eq!(parse_range("bytes=500-", 1000), Ok(Some((500, 999))));
        assert_eq!(parse_range("bytes=-200", 1000), Ok(Some((800, 999))));
        assert_eq!(parse_range("bytes=0-0", 1000), Ok(Some((0, 0))));
        assert_eq!(parse_range("bytes=999-999", 1000), Ok(Some((999, 999))));
    }

    #[test]
    fn the_end_is_clamped_to_the_body() {
        assert_eq!(parse_range("bytes=0-5000", 1000), Ok(Some((0, 999))));
        assert_eq!(parse_range("bytes=-5000", 1000), Ok(Some((0, 999))));
        assert_eq!(
            parse_range("bytes=10-99999999999999999999999", 1000),
            Ok(Some((10, 999)))
        );
        assert_eq!(
            parse_range("bytes=-99999999999999999999999", 1000),
            Ok(Some((0, 999)))
        );
    }

    #[test]
    fn a_range_starting_at_or_past_the_end_is_unsatisfiable() {
        assert_eq!(
            parse_range("bytes=1000-", 1000),
            Err(RangeError::Unsatisfiable)
        );
        assert_eq!(
            parse_range("bytes=1000-2000", 1000),
            Err(RangeError::Unsatisfiable)
        );
        assert_eq!(
            parse_range("bytes=99999999999999999999-", 1000),
            Err(RangeError::Unsatisfiable)
        );
        assert_eq!(parse_range("bytes=0-", 0), Err(RangeError::Unsatisfiable));
        assert_eq!(
            parse_range("bytes=-0", 1000),
            Err(RangeError::Unsatisfiable)
        );
    }

    #[test]
    fn a_suffix_of_an_empty_body_serves_the_empty_body() {
        assert_eq!(parse_range("bytes=-10", 0), Ok(None));
    }

    #[test]
    fn what_we_do_not_serve_as_a_range_is_the_whole_body() {
        for header in [
            "bytes=0-1,5-9",
            "bytes=0-1, 5-9",
            "items=0-1",
            "bytes 0-1",
            "",
            "bytes=",
            "bytes=-",
            "bytes=abc",
            "bytes=a-b",
            "bytes=5-3",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=1--2",
            "bytes=0x10-",
            "bytes=1.5-2",
        ] {
            assert_eq!(parse_range(header, 1000), Ok(None), "{header:?}");
        }
    }

    #[test]
    fn the_unit_is_case_insensitive_and_spaces_around_are_tolerated() {
        assert_eq!(parse_range("Bytes=1-2", 10), Ok(Some((1, 2))));
        assert_eq!(parse_range(" bytes = 1 - 2 ", 10), Ok(Some((1, 2))));
    }

    // --- checksums

    fn digest_of(bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(bytes).into()
    }

    #[test]
    fn hex_checksums_match_in_either_case() {
        let actual = digest_of(b"hello");
        let hex = hex::encode(actual);
        assert!(sha256_matches(&hex, &actual));
        assert!(sha256_matches(&hex.to_uppercase(), &actual));
        assert!(sha256_matches(&format!(" {hex}\n"), &actual));
        assert!(!sha256_matches(&hex, &digest_of(b"hellO")));
    }

    #[test]
    fn base64_checksums_match_in_every_alphabet_and_padding() {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        // A digest whose base64 has both `+` and `/`, so the two alphabets differ.
        let actual = (0u32..)
            .map(|n| digest_of(&n.to_be_bytes()))
            .find(|d| {
                let s = STANDARD.encode(d);
                s.contains('+') && s.contains('/')
            })
            .unwrap();
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            let expected = engine.encode(actual);
            assert!(sha256_matches(&expected, &actual), "{expected}");
            assert!(
                !sha256_matches(&expected, &digest_of(b"other")),
                "{expected}"
            );
        }
    }

    #[test]
    fn evolutions_file_sha256_fixture_form_matches() {
        // As in `tests/fixtures/evolution/image.json`'s `fileSha256`.
        let expected = "3Lb6yJ0m8mHqAW2vPq0eB1bqjM9W6lVh1c2f0R8uKZk=";
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(expected) else {
            panic!("fixture hash is base64")
        };
        let actual: [u8; 32] = bytes.try_into().unwrap();
        assert!(sha256_matches(expected, &actual));
    }

    #[test]
    fn a_value_that_is_not_a_hash_parses_as_none() {
        let actual = digest_of(b"hello");
        assert_eq!(parse_sha256(&hex::encode(actual)), Some(actual));
        assert_eq!(
            parse_sha256(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(actual)),
            Some(actual)
        );
        assert_eq!(parse_sha256("b1d3f2c8e6a4"), None);
        assert_eq!(parse_sha256(""), None);
    }

    #[test]
    fn anything_else_matches_nothing() {
        let actual = digest_of(b"hello");
        let hex = hex::encode(actual);
        let b64 = base64::engine::general_purpose::STANDARD.encode(actual);
        for expected in [
            String::new(),
            "b1d3f2c8e6a4".to_string(),
            hex[..63].to_string(),
            format!("{hex}0"),
            b64[..20].to_string(),
            format!("{b64}AAAA"),
            base64::engine::general_purpose::STANDARD.encode(&actual[..31]),
            format!("sha256={hex}"),
            "not a hash at all".to_string(),
        ] {
            assert!(!sha256_matches(&expected, &actual), "{expected:?}");
        }
    }
}
