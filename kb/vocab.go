package kb

// The closed vocabularies of DESIGN.md. They are slices, not maps, so that
// listings come out in a fixed order.

// Reasons are the fine-grained failure reasons (Sisimai's names).
var Reasons = []string{
	"userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "suspend",
	"filtered", "rejected", "blocked", "badreputation", "spamdetected", "virusdetected",
	"contenterror", "policyviolation", "authfailure", "requireptr", "failedstarttls",
	"securityerror", "norelaying", "mesgtoobig", "exceedlimit", "systemfull", "systemerror",
	"mailererror", "networkerror", "toomanyconn", "speeding", "expired", "syntaxerror",
	"notcompliantrfc", "suppressed", "feedback", "vacation", "delivered", "onhold", "undefined",
}

// Categories are the coarse groups shown to people.
var Categories = []string{
	"mailbox-unknown", "domain-invalid", "mailbox-disabled", "mailbox-full",
	"message-too-large", "content-rejected", "reputation-block", "auth-failure",
	"sender-config", "rate-limited", "network", "remote-error", "protocol-error",
	"expired", "suppressed", "complaint", "auto-reply", "client-error",
	"account-problem", "success", "unknown",
}

// Actions answer "what should the sender do next".
var Actions = []string{"suppress", "retry", "fix-sender", "fix-request", "contact-recipient", "none"}

// Faults answer "whose side is the problem on".
var Faults = []string{"recipient", "sender", "network", "remote-system", "client", "provider-account"}

// Severities and Frequencies carry the seed's "Wichtigkeit" and "Häufigkeit".
var (
	Severities  = []string{"low", "medium", "high"}
	Frequencies = []string{"rare", "common", "frequent"}
)

// Languages are the languages every text exists in.
var Languages = []string{"en", "de"}

// SourceInfo describes one knowledge-base source (one data file).
type SourceInfo struct {
	ID    string
	Title Localized
}

// Sources lists the sources in display order. Every data file must name one
// of them; Lookup ranks generic sources (SMTP, enhanced codes) first.
var Sources = []SourceInfo{
	{"smtp", Localized{EN: "SMTP reply codes", DE: "SMTP-Antwortcodes"}},
	{"enhanced", Localized{EN: "Enhanced status codes", DE: "Erweiterte Statuscodes"}},
	{"socket", Localized{EN: "Connection and DNS errors", DE: "Verbindungs- und DNS-Fehler"}},
	{"mta", Localized{EN: "Mail server messages", DE: "Meldungen von Mailservern"}},
	{"gmail", Localized{EN: "Gmail / Google Workspace", DE: "Gmail / Google Workspace"}},
	{"microsoft", Localized{EN: "Microsoft 365 / Outlook.com", DE: "Microsoft 365 / Outlook.com"}},
	{"yahoo", Localized{EN: "Yahoo / AOL", DE: "Yahoo / AOL"}},
	{"mailgun", Localized{EN: "Mailgun", DE: "Mailgun"}},
	{"sendgrid", Localized{EN: "SendGrid", DE: "SendGrid"}},
	{"ses", Localized{EN: "Amazon SES", DE: "Amazon SES"}},
	{"postmark", Localized{EN: "Postmark", DE: "Postmark"}},
	{"outlook-client", Localized{EN: "Outlook / Windows Mail client codes", DE: "Outlook-/Windows-Mail-Clientcodes"}},
	{"nodemailer", Localized{EN: "nodemailer", DE: "nodemailer"}},
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sourceRank(id string) int {
	for i, s := range Sources {
		if s.ID == id {
			return i
		}
	}
	return len(Sources)
}
