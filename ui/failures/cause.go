package failures

import (
	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// causeWindow is how many of the newest refusals LikelyCause weighs: enough
// to outvote a stray scanner, recent enough to follow a fix.
const causeWindow = 50

// The likely causes, as the banner and the details pane say them.
const (
	CausePreviousSecret  = "Signatures match the previous secret: IP Fabric still uses the old one. Update the secret in IP Fabric (Settings > Integration > Webhooks)."
	CauseHeaderMissing   = "Requests arrive without X-IPF-Signature: is the secret set in IP Fabric's webhook?"
	CauseTrailingNewline = "Signatures match the body without its trailing newline: a proxy or tool between IP Fabric and ipfwatch adds a newline to the body."
	CauseUppercaseHex    = "Signatures are in uppercase hex and match no secret: IP Fabric signs in lowercase, so the sender is probably not IP Fabric, or something between rewrites the header."
	CauseMalformed       = "X-IPF-Signature is not a SHA-256 hex digest: the sender is not IP Fabric, or something rewrites the header."
	CauseSecretMismatch  = "Secret mismatch: the secret in IP Fabric differs from ipfwatch's. Set the same secret in IP Fabric (Settings > Integration > Webhooks) and in ipfwatch's Settings."
	CauseStale           = "Event timestamps are too old or in the future: clocks differ or deliveries are delayed. Check the time on IP Fabric and on this machine, or raise the maximum event age in Settings."
	CauseUnconfigured    = "ipfwatch has no webhook secret, so it refuses every delivery: set the secret in Settings. IP Fabric retries what was refused."
	CauseTooLarge        = "Deliveries are larger than the size limit: the sender is not IP Fabric, or a proxy alters the body."
	CauseMethod          = "Requests use a method other than POST: something other than IP Fabric calls the webhook URL."
	causePayloadPrefix   = "Deliveries are signed correctly but are not IP Fabric payloads ("
)

// LikelyCause names the most probable reason behind rows, refused
// deliveries newest first, in words an engineer can act on; "" for none.
//
// Each refusal is sorted into a cause by its reason and diagnostic hint.
// Among the newest causeWindow refusals the most frequent cause wins, so a
// stray request from a scanner does not hide the real problem; on a tie the
// cause seen most recently wins, since it reflects the latest configuration.
func LikelyCause(rows []webhook.Rejection) string {
	if len(rows) > causeWindow {
		rows = rows[:causeWindow]
	}
	count := map[string]int{}
	text := map[string]string{}
	var order []string // first (newest) appearance of each cause
	for _, r := range rows {
		key, t := classify(r)
		if _, seen := count[key]; !seen {
			order = append(order, key)
			text[key] = t
		}
		count[key]++
	}
	best := ""
	for _, k := range order {
		if best == "" || count[k] > count[best] {
			best = k
		}
	}
	return text[best]
}

// cause is a kind of refusal: a key to count by and the sentence to show.
type cause struct{ key, text string }

// signatureCauses sorts a signature failure by its diagnostic hint; any
// other hint means the secrets differ.
var signatureCauses = map[string]cause{
	listener.HintPreviousSecret:  {"previous", CausePreviousSecret},
	listener.HintHeaderMissing:   {"missing", CauseHeaderMissing},
	listener.HintTrailingNewline: {"newline", CauseTrailingNewline},
	listener.HintUppercaseHex:    {"uppercase", CauseUppercaseHex},
	listener.HintNotHex:          {"malformed", CauseMalformed},
	listener.HintWrongLength:     {"malformed", CauseMalformed},
}

// reasonCauses sorts the other refusals by their reason.
var reasonCauses = map[string]cause{
	listener.ReasonStale:            {"stale", CauseStale},
	listener.ReasonUnconfigured:     {"unconfigured", CauseUnconfigured},
	listener.ReasonTooLarge:         {"large", CauseTooLarge},
	listener.ReasonMethodNotAllowed: {"method", CauseMethod},
}

// classify sorts one refusal into a cause: a key to count by and the
// sentence to show.
func classify(r webhook.Rejection) (key, text string) {
	switch r.Reason {
	case listener.ReasonInvalidSignature:
		if c, ok := signatureCauses[r.Hint]; ok {
			return c.key, c.text
		}
		return "mismatch", CauseSecretMismatch
	case listener.ReasonInvalidPayload:
		detail := "the payload is invalid"
		if r.Hint != "" {
			detail = oneLine(r.Hint)
		}
		return "payload", causePayloadPrefix + detail + "): the sender may be another tool or a newer IP Fabric version."
	}
	if c, ok := reasonCauses[r.Reason]; ok {
		return c.key, c.text
	}
	return "other:" + r.Reason, "Deliveries are refused: " + oneLine(r.Reason) + "."
}
