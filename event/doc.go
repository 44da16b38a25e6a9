// Package event turns the delivery webhooks of email service providers into
// normalized delivery events: one Event per recipient and occurrence, with
// the provider's raw payload kept and, for failures, the Diagnosis of the one
// classifier (maildx.Explain).
//
// Each provider has an Adapter: Mailgun (JSON webhooks, HMAC-SHA256 of
// timestamp+token), SendGrid (Event Webhook, ECDSA P-256 over
// timestamp+body), Amazon SES via Amazon SNS (SNS message signatures,
// SignatureVersion 1 and 2), Postmark (HTTP basic auth) and Generic (an
// application's own send errors, bearer token). An HTTP handler reads the
// body (bounded), calls Verify, then Parse, stores the events and only then
// answers 2xx; the errors returned map to status codes (see the sentinel
// errors and PayloadError).
//
// The package does not own storage, HTTP routing, the suppression list or
// any classification rule: a failure's reason, action and
// temporariness come from maildx.Explain alone. Adapters only translate the
// provider's event vocabulary into Type and pass the provider's own
// failure fields to the classifier.
package event
