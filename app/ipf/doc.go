// Package ipf is ipfwatch's client for IP Fabric's REST API: the few calls
// that enrich a webhook (a snapshot's devices, sites and errors; the intent
// checks of a snapshot and the rows behind a colour) and catch up on
// snapshots that finished while ipfwatch was not running.
// /work/shared/IPF_API.md is the subset it follows; ipffake serves the same
// subset for tests.
//
// # Configuration
//
// ConfigFromEnv reads IPF_URL, IPF_TOKEN and IPF_VERIFY as the Python SDK
// (python-ipfabric) does, so an engineer's existing settings work:
//
//   - IPF_VERIFY: "0", "off", "f", "false", "n", "no" (any case) turn
//     verification off; "1", "on", "t", "true", "y", "yes" keep it on;
//     anything else is a PEM file (ParseVerify). Unlike the SDK, an empty
//     value means on and "~/" is expanded.
//   - IPF_URL: only scheme, host and port count (ParseURL); the SDK reads
//     /api/version from the root and joins api/{v}/ onto the URL, so
//     https://ipf, https://ipf/ and https://ipf/api all mean the same.
//   - The SDK also reads a .env file and IPF_VERSION, IPF_TIMEOUT; ipfwatch
//     does not.
//
// # Trust
//
// With IPF_VERIFY=true the system's CAs and the host name are checked. With a
// PEM file, a certificate in the file that is byte for byte the server's is
// pinned (host names and dates are then not checked: the engineer chose that
// certificate, and appliances reached by address rarely have a matching
// name); otherwise the file's certificates are CAs and chain, dates and host
// name are checked. A *TLSError carries the presented certificate, its
// SHA-256 fingerprint, and PEM() to save it for IPF_VERIFY.
//
// # Calls
//
// The API version prefix comes from GET /api/version (sent without the
// token) and is kept; a 410 makes the client read it again once and retry if
// it changed. Each call has a timeout (15 s by default, Options.Timeout), at
// most two calls are in flight (Options.MaxInFlight), one keep-alive
// transport is shared, proxies come from the environment as in the SDK, and
// redirects are not followed so the token only goes to IPF_URL.
//
// Answers are read leniently: counts may be numbers or strings, missing keys
// and null names are zero values, unknown fields are ignored, and any
// apiEndpoint prefix like /v1/ is stripped. No answer can make the client
// panic. Failures are the typed errors of errors.go, in plain words, and
// text taken from IP Fabric is cleaned of the token before it goes into an
// error; the token is never logged.
//
// A webhook naming only a reportId is answered with CheckByID on $last: the
// documented subset has no call for one report, so the snapshot's list is
// filtered.
package ipf
