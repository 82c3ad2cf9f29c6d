package event

// PartitionKey is the Kafka record key a producer should give an event
// (docs/scaling.md, "Keying producers"): its incident id, else its alert key, so
// that one incident's (or alert's) events stay in one partition, in order,
// and so in one shard; else fallback (the responder of a shift, or a
// delivery's id). The demo's producer and the webhook intake's Kafka mode
// both key by it.
func PartitionKey(incidentID, alertKey, fallback string) string {
	switch {
	case incidentID != "":
		return incidentID
	case alertKey != "":
		return alertKey
	}
	return fallback
}
