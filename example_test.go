package maildx_test

import (
	"fmt"

	"github.com/maildx/maildx"
)

func ExampleExplain() {
	d := maildx.Explain("550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown in virtual mailbox table")
	fmt.Println(d.Reason, d.HardBounce, d.Action, d.Fault)
	// Output: userunknown true suppress recipient
}

func ExampleExplain_german() {
	d := maildx.Explain("452 4.2.2 Mailbox full", maildx.WithLang("de"))
	fmt.Println(d.Reason, d.Temporary, d.Action)
	fmt.Println(d.Lang)
	// Output:
	// mailboxfull true retry
	// de
}

func ExampleExplain_nodemailer() {
	d := maildx.Explain(`{"code":"EENVELOPE","response":"421 4.3.0 Temporary System Problem. Try again later ... gsmtp","responseCode":421,"command":"RCPT TO"}`)
	fmt.Println(d.Provider, d.ReplyCode, d.Status, d.Temporary, d.Action)
	// Output: gmail 421 4.3.0 true retry
}

func ExampleExplain_retryAfter() {
	first := maildx.Explain("421 4.7.0 Try again later, closing connection.")
	third := maildx.Explain("421 4.7.0 Try again later, closing connection.", maildx.WithAttempt(3))
	fmt.Println(third.RetryAfter == 4*first.RetryAfter)
	// Output: true
}

// A loop over many texts explains into one Diagnosis and writes each result
// out before the next: ExplainTo reuses the result's memory, so the loop
// allocates next to nothing.
func ExampleExplainTo() {
	var d maildx.Diagnosis
	for _, text := range []string{
		"550 5.1.1 user unknown",
		"452 4.2.2 Mailbox full",
		"connect ECONNREFUSED 192.0.2.1:25",
	} {
		maildx.ExplainTo(&d, text)
		fmt.Println(d.Reason, d.Action, d.Codes)
	}
	// Output:
	// userunknown suppress [550 5.1.1]
	// mailboxfull retry [452 4.2.2]
	// networkerror retry [ECONNREFUSED]
}
