//! Where a tenant may point a channel. A channel's base URL receives the provider's token with
//! every call, so a tenant who could aim it at loopback, a private network or plain `http` could
//! make Ponte hand that token, or a request from inside the deployment, to anyone. Outside a
//! local run, only `https` to a public host is taken.
//!
//! A name is judged by its spelling only: a Worker cannot resolve DNS, so a public name that
//! resolves to a private address is not caught here (Cloudflare's egress does not reach private
//! networks anyway); what is caught is every literal address and reserved name.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::media::http_host;

/// Why `url` may not be a provider endpoint, or `Ok` when it may. `allow_local` (a local run,
/// the tests) takes loopback, private hosts and plain `http` too.
pub fn check_endpoint(url: &str, allow_local: bool) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "must be an absolute URL".to_string())?;
    if rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .contains('@')
    {
        return Err("must not carry a user or password".into());
    }
    let host = http_host(url).ok_or_else(|| "must be an http(s) URL with a host".to_string())?;
    if allow_local {
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("https") {
        return Err("must be an https URL".into());
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.');
    if is_local_host(host) {
        return Err(format!(
            "must be a public host, not {host} (set PONTE_ALLOW_LOCAL_PROVIDERS for a local run)"
        ));
    }
    Ok(())
}

fn is_local_host(host: &str) -> bool {
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return !is_public_v4(v4);
    }
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        return match v6.to_ipv4_mapped() {
            Some(v4) => !is_public_v4(v4),
            None => !is_public_v6(v6),
        };
    }
    // A name made only of digits and dots that did not parse (`127.1`, `0x7f.1`) is an address
    // some resolvers still take; none is a real public name.
    if host
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'x')
    {
        return true;
    }
    let reserved = [
        "localhost",
        "local",
        "internal",
        "intranet",
        "lan",
        "home.arpa",
    ];
    !host.contains('.')
        || reserved
            .iter()
            .any(|r| host == *r || host.ends_with(&format!(".{r}")))
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_https_hosts_are_taken() {
        for url in [
            "https://graph.facebook.com/v23.0",
            "https://api.z-api.io",
            "https://evo.loja.com.br:8443/",
            "https://8.8.8.8/x",
            "https://[2606:4700::1111]/",
        ] {
            assert_eq!(check_endpoint(url, false), Ok(()), "{url}");
        }
    }

    #[test]
    fn loopback_private_reserved_and_plain_http_are_refused() {
        for url in [
            "http://evo.loja.com.br",
            "https://127.0.0.1:8080",
            "https://127.1/",
            "https://localhost/",
            "https://wpp.localhost",
            "https://10.0.0.5",
            "https://172.20.1.1",
            "https://192.168.0.10:21465",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1",
            "https://0.0.0.0",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://gateway.internal",
            "https://printer.local",
            "https://intranet",
            "https://user:pass@api.z-api.io",
            "ftp://api.z-api.io",
            "api.z-api.io",
        ] {
            assert!(check_endpoint(url, false).is_err(), "{url}");
        }
    }

    #[test]
    fn a_local_run_takes_its_emulators() {
        assert_eq!(check_endpoint("http://127.0.0.1:8790/v23.0", true), Ok(()));
        assert_eq!(check_endpoint("http://localhost:8080", true), Ok(()));
        assert!(check_endpoint("ftp://127.0.0.1", true).is_err());
        let refused = check_endpoint("http://127.0.0.1:8790", false).expect_err("not public");
        assert!(refused.contains("https"), "{refused}");
        let named = check_endpoint("https://127.0.0.1:8790", false).expect_err("loopback");
        assert!(named.contains("PONTE_ALLOW_LOCAL_PROVIDERS"), "{named}");
    }
}
