package webhook

import (
	"encoding/json"
	"net/http"

	"github.com/pagerlens/pagerlens/event"
)

// recordKey is the Kafka record key of a webhook: the incident or alert key
// when the body names one, so that one incident's events stay in one
// partition, in order; else the delivery's id; else nil (spread round-robin).
// A body that does not parse gets the fallback: it will be dead-lettered
// anyway, and the key only affects placement.
func recordKey(source string, body []byte, h http.Header) []byte {
	if k := bodyKey(source, body); k != "" {
		return []byte(k)
	}
	for _, name := range []string{"webhook-id", "X-Webhook-Id"} {
		if v := h.Get(name); v != "" {
			return []byte(v)
		}
	}
	return nil
}

type idOnly struct {
	ID string `json:"id"`
}

func bodyKey(source string, body []byte) string {
	switch source {
	case PagerDuty:
		var v struct {
			Event struct {
				ID   string `json:"id"`
				Data struct {
					ID       string  `json:"id"`
					Type     string  `json:"type"`
					Incident *idOnly `json:"incident"`
				} `json:"data"`
			} `json:"event"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		d := v.Event.Data
		switch {
		case d.Type == "incident" && d.ID != "":
			return d.ID
		case d.Incident != nil && d.Incident.ID != "":
			return d.Incident.ID
		}
		return v.Event.ID
	case Alertmanager, Grafana:
		var v struct {
			GroupKey string `json:"groupKey"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		return v.GroupKey
	case Opsgenie:
		var v struct {
			Alert struct {
				AlertID string `json:"alertId"`
			} `json:"alert"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		return v.Alert.AlertID
	case OnCall:
		var v struct {
			AlertGroupID string  `json:"alert_group_id"`
			AlertGroup   *idOnly `json:"alert_group"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		if v.AlertGroupID != "" {
			return v.AlertGroupID
		}
		if v.AlertGroup != nil {
			return v.AlertGroup.ID
		}
	case IncidentIO:
		// {"event_type": T, T: {"incident": {"id": …}}}
		var v map[string]json.RawMessage
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		var typ string
		if json.Unmarshal(v["event_type"], &typ) != nil || typ == "" {
			return ""
		}
		var p struct {
			Incident *idOnly `json:"incident"`
		}
		if json.Unmarshal(v[typ], &p) != nil || p.Incident == nil {
			return ""
		}
		return p.Incident.ID
	case Canonical:
		var v struct {
			ID   string `json:"id"`
			Data struct {
				IncidentID string `json:"incident_id"`
				AlertKey   string `json:"alert_key"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		return event.PartitionKey(v.Data.IncidentID, v.Data.AlertKey, v.ID)
	}
	return ""
}
