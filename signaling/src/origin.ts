const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Decides whether a browser page at `origin` may use the relay's WebSockets and APIs.
 *
 * Allowed: requests without an `Origin` header (non-browser clients; browsers always send one on
 * WebSocket handshakes, RFC 6455 §4.1 item 8), the relay's own origin (the `Origin` host equals the
 * request's `Host` header), and then either the configured list (exact origins, or `*` for any) or,
 * when none is configured, any http(s) origin on localhost, 127.0.0.1 or [::1] with any port.
 *
 * @param origin the request's `Origin` header, if any.
 * @param host the request's `Host` header, if any.
 * @param allowList normalized origins from `ALLOWED_ORIGINS`, or `null` for the default.
 */
export function isOriginAllowed(
	origin: string | undefined,
	host: string | undefined,
	allowList: readonly string[] | null
): boolean {
	if (origin === undefined) return true;
	let url: URL;
	try {
		url = new URL(origin);
	} catch {
		return false;
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
	if (host !== undefined && url.host === host.toLowerCase()) return true;
	if (allowList === null) return LOOPBACK_HOSTNAMES.has(url.hostname);
	return allowList[0] === '*' || allowList.includes(url.origin);
}
