package event

import (
	"sort"
	"strings"
)

// The channels of a page.notified: how the person was notified. Sources
// spell them in many ways (PagerDuty's "phone_notification", a producer's
// "SMS" or "voice"); decoders store one of these (NormalizeChannel), so
// that analytics can tell an interruption (a phone call, a text, a push
// notification) from an e-mail (analytics.Config.InterruptionChannels).
// "" means unknown: the source does not say how (every webhook decoder
// today, docs/sources.md).
const (
	ChannelPhone = "phone"
	ChannelSMS   = "sms"
	ChannelPush  = "push"
	ChannelEmail = "email"
	ChannelChat  = "chat"  // Slack, Microsoft Teams, Mattermost, …
	ChannelOther = "other" // any other named channel (a webhook, a fax)
)

// Channels lists the normalised channels, in a stable order (docs, config
// validation).
var Channels = []string{ChannelPhone, ChannelSMS, ChannelPush, ChannelEmail, ChannelChat, ChannelOther}

// channelAliases maps a channel name, as channelKey spells it, to its
// normalised channel. Names that are not here become ChannelOther; ""
// (and "unknown") stay unknown.
var channelAliases = map[string]string{
	"phone": ChannelPhone, "voice": ChannelPhone, "call": ChannelPhone, "phone_call": ChannelPhone,
	"voice_call": ChannelPhone, "telephone": ChannelPhone, "phone_notification": ChannelPhone,

	"sms": ChannelSMS, "text": ChannelSMS, "text_message": ChannelSMS, "sms_notification": ChannelSMS,

	"push": ChannelPush, "push_notification": ChannelPush, "mobile": ChannelPush,
	"mobile_push": ChannelPush, "mobile_app": ChannelPush, "app": ChannelPush,

	"email": ChannelEmail, "e_mail": ChannelEmail, "mail": ChannelEmail, "email_notification": ChannelEmail,

	"chat": ChannelChat, "slack": ChannelChat, "msteams": ChannelChat, "teams": ChannelChat,
	"microsoft_teams": ChannelChat, "mattermost": ChannelChat, "telegram": ChannelChat, "discord": ChannelChat,

	"other": ChannelOther,

	"": "", "unknown": "",
}

// channelKey is how a channel name is looked up: spaces trimmed, ASCII
// letters in lower case, '-' and ' ' read as '_'. Analytics repeats it in
// SQL over stored channels (ChannelAliases), with DuckDB's trim, lower and
// replace: the two agree on every name but one spelled with a non-ASCII
// letter whose lower case is ASCII (the Kelvin sign), which no real
// channel name has.
func channelKey(s string) string {
	s = strings.Trim(s, " ")
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case c == '-' || c == ' ':
			b[i] = '_'
		}
	}
	return string(b)
}

// NormalizeChannel maps what a source calls a notification channel to one
// of Channels, or "" when it is unknown: "Voice" → phone, "SMS" → sms,
// "push_notification" → push, "e-mail" → email, "slack" → chat, "fax" →
// other, "" → "".
func NormalizeChannel(s string) string {
	if c, ok := channelAliases[channelKey(s)]; ok {
		return c
	}
	return ChannelOther
}

// ChannelAlias is one entry of the table NormalizeChannel reads: a name as
// looked up (trimmed, lower case, '_' for '-' and ' ') and its channel.
type ChannelAlias struct{ Name, Channel string }

// ChannelAliases returns NormalizeChannel's table, sorted by name, for the
// SQL that normalises stored channels the same way (analytics'
// responder_events).
func ChannelAliases() []ChannelAlias {
	out := make([]ChannelAlias, 0, len(channelAliases))
	for n, c := range channelAliases {
		out = append(out, ChannelAlias{n, c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
