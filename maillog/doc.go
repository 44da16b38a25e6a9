// Package maillog reads mail server logs – Postfix, Exim and Sendmail – and
// turns them into delivery outcomes: per recipient, what happened to a
// message (sent, deferred, bounced, expired, or rejected at SMTP time), what
// the remote server said, and the diagnosis of maildx's one classifier
// (maildx.Explain).
//
// A Reader makes one pass over the lines and holds only a bounded table of
// open queue ids (the sender and the recipients seen so far of messages
// whose "removed" or "Completed" line has not come yet); when the table is
// full the oldest entry is evicted and counted. A queue id whose from= line
// fell off the start of the log still yields its outcomes, with an empty
// sender. Lines the reader does not understand are skipped and counted,
// never fatal, and no input makes it panic.
//
// Line shapes understood:
//
//   - syslog headers: classic "Jan  5 06:25:01 host prog[pid]: " (RFC 3164;
//     the year is inferred, see Reader.SetSource), RFC 3339 / RFC 5424-style
//     timestamps and journald's short-iso ("2024-01-05T06:25:01+0100");
//   - Postfix (any syslog_name, so several instances such as
//     "postfix-out/smtp" are told apart): qmgr from=, the to= lines of smtp,
//     lmtp, local, virtual, pipe and error, qmgr status=expired, removed,
//     and the SMTP-time rejects of smtpd, postscreen and cleanup
//     (NOQUEUE: reject:, milter-reject:);
//   - the Exim main log (<=, =>, ->, **, ==, Completed, "rejected RCPT"),
//     with or without its own timestamp, and via syslog;
//   - Sendmail from=, to= ... stat= and ruleset= ... reject= lines.
//
// The package does not store outcomes (that is the job of the event store)
// and does not log.
package maillog
