package decode

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pagerlens/pagerlens/event"
)

// Mapping says how one source's fields become pagerlens's team, service,
// severity, alert name and responder. Every source names these things its
// own way (a PagerDuty team, an Alertmanager label, an Opsgenie priority), and
// every organisation uses them its own way, so the rules are configuration.
//
// A *From field lists selectors tried in order; the first that yields a
// non-empty value wins. What a selector means depends on the format (a label
// name for Alertmanager, "team" for PagerDuty's first team, …); see
// docs/sources.md. A *Map field then renames the value, matching keys without
// regard to case; a value not in the map passes through unchanged, so an
// unmapped severity is still visible rather than dropped.
type Mapping struct {
	TeamFrom      []string          `yaml:"team_from"`
	ServiceFrom   []string          `yaml:"service_from"`
	SeverityFrom  []string          `yaml:"severity_from"`
	AlertNameFrom []string          `yaml:"alert_name_from"`
	TeamMap       map[string]string `yaml:"team_map"`
	ServiceMap    map[string]string `yaml:"service_map"`
	SeverityMap   map[string]string `yaml:"severity_map"`
	// RoleMap maps incident role names or types to the canonical roles
	// (commander, communications, scribe, technical_lead); incident.io and
	// PagerDuty.
	RoleMap map[string]string `yaml:"role_map"`
	// ActionMap maps an Opsgenie action that pagerlens does not map itself
	// (a custom action, sent with its own name, or a skipped built-in one)
	// to a canonical incident event type (ActionTargets), or to "skip";
	// Opsgenie only. An unmapped custom action is skipped and counted as a
	// warning.
	ActionMap map[string]string `yaml:"action_map"`
	// Responder is which identity becomes data.responder: "id" (the
	// source's stable user id) or "name" (its user name, summary or email).
	Responder string `yaml:"responder"`
}

// Mappings holds one Mapping per source format. A field left empty in the
// configuration keeps that format's default (DefaultMapping); a field that is
// set replaces the default's field as a whole (maps are not merged, so a
// configured SeverityMap is the complete map).
type Mappings struct {
	PagerDuty    Mapping `yaml:"pagerduty"`
	Alertmanager Mapping `yaml:"alertmanager"`
	Grafana      Mapping `yaml:"grafana"`
	Opsgenie     Mapping `yaml:"opsgenie"`
	OnCall       Mapping `yaml:"oncall"`
	IncidentIO   Mapping `yaml:"incidentio"`
}

// For returns the configured mapping of format over its defaults.
func (ms Mappings) For(format string) Mapping {
	var m Mapping
	switch format {
	case PagerDuty:
		m = ms.PagerDuty
	case Alertmanager:
		m = ms.Alertmanager
	case Grafana:
		m = ms.Grafana
	case Opsgenie:
		m = ms.Opsgenie
	case OnCall:
		m = ms.OnCall
	case IncidentIO:
		m = ms.IncidentIO
	}
	return m.over(DefaultMapping(format))
}

// over returns m with every unset field taken from def.
func (m Mapping) over(def Mapping) Mapping {
	if m.TeamFrom == nil {
		m.TeamFrom = def.TeamFrom
	}
	if m.ServiceFrom == nil {
		m.ServiceFrom = def.ServiceFrom
	}
	if m.SeverityFrom == nil {
		m.SeverityFrom = def.SeverityFrom
	}
	if m.AlertNameFrom == nil {
		m.AlertNameFrom = def.AlertNameFrom
	}
	if m.TeamMap == nil {
		m.TeamMap = def.TeamMap
	}
	if m.ServiceMap == nil {
		m.ServiceMap = def.ServiceMap
	}
	if m.SeverityMap == nil {
		m.SeverityMap = def.SeverityMap
	}
	if m.RoleMap == nil {
		m.RoleMap = def.RoleMap
	}
	if m.ActionMap == nil {
		m.ActionMap = def.ActionMap
	}
	if m.Responder == "" {
		m.Responder = def.Responder
	}
	return m
}

// Default severity maps. pagerlens's severities are SEV1 (worst) .. SEV5.
func priorityMap() map[string]string {
	return map[string]string{"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV5"}
}

// labelSeverityMap covers the severity label values Prometheus rule authors
// commonly use.
func labelSeverityMap() map[string]string {
	return map[string]string{
		"critical": "SEV1", "high": "SEV2", "error": "SEV2", "major": "SEV2",
		"warning": "SEV3", "medium": "SEV3", "minor": "SEV4", "low": "SEV4", "info": "SEV5",
	}
}

// DefaultMapping returns the built-in rules of a format (docs/sources.md).
func DefaultMapping(format string) Mapping {
	switch format {
	case PagerDuty:
		sev := priorityMap()
		// Urgency is the fallback when an account does not use priorities:
		// high urgency pages at night, low waits for business hours.
		sev["high"], sev["low"] = "SEV2", "SEV4"
		return Mapping{
			TeamFrom: []string{"team"}, ServiceFrom: []string{"service"},
			SeverityFrom: []string{"priority", "urgency"}, SeverityMap: sev, Responder: "id",
			// PagerDuty's two predefined incident roles are Incident
			// Commander and Customer Liaison (the account's own roles are
			// mapped by configuration).
			RoleMap: map[string]string{
				"incident commander": "commander", "commander": "commander",
				"customer liaison": "communications", "communications lead": "communications",
				"scribe": "scribe", "technical lead": "technical_lead", "tech lead": "technical_lead",
			},
		}
	case Alertmanager, Grafana:
		return Mapping{
			TeamFrom: []string{"team"}, ServiceFrom: []string{"service", "job"},
			SeverityFrom: []string{"severity"}, AlertNameFrom: []string{"alertname"},
			SeverityMap: labelSeverityMap(),
		}
	case Opsgenie:
		// Opsgenie's owner (AssignOwnership) is only a user name, so the name
		// is the one identity every Opsgenie action carries.
		return Mapping{
			TeamFrom: []string{"team"}, ServiceFrom: []string{"entity"},
			SeverityFrom: []string{"priority"}, SeverityMap: priorityMap(), Responder: "name",
		}
	case OnCall:
		return Mapping{
			TeamFrom:     []string{"integration.team", "label:team"},
			ServiceFrom:  []string{"label:service", "label:job"},
			SeverityFrom: []string{"label:severity"}, SeverityMap: labelSeverityMap(), Responder: "id",
		}
	case IncidentIO:
		return Mapping{
			SeverityFrom: []string{"severity"},
			SeverityMap:  map[string]string{"critical": "SEV1", "major": "SEV2", "minor": "SEV3"},
			RoleMap: map[string]string{
				"lead": "commander", "incident lead": "commander", "commander": "commander", "incident commander": "commander",
				"communications": "communications", "communications lead": "communications", "comms lead": "communications",
				"scribe": "scribe", "technical lead": "technical_lead", "tech lead": "technical_lead",
			},
			Responder: "id",
		}
	}
	return Mapping{}
}

// ActionSkip is the ActionMap value that skips an action without a warning.
const ActionSkip = "skip"

// ActionTargets are the canonical types an Opsgenie action can be mapped to:
// incident events that need nothing but the alert and the acting user.
var ActionTargets = []event.Type{
	event.IncidentAcknowledged, event.IncidentMitigated, event.IncidentResolved,
	event.IncidentReopened, event.IncidentEscalated,
}

// Validate checks what the decoders cannot take as given: the targets of
// Opsgenie's action_map.
func (ms Mappings) Validate() error {
	for action, target := range ms.Opsgenie.ActionMap {
		if target != ActionSkip && !slices.Contains(ActionTargets, event.Type(target)) {
			return fmt.Errorf("mappings.opsgenie.action_map: %q -> %q: want skip or one of %v", action, target, ActionTargets)
		}
	}
	return nil
}

// mapper is a Mapping ready for use: maps keyed by lower-case source value.
type mapper struct {
	m                                      Mapping
	team, service, sev, roleMap, actionMap map[string]string
}

func newMapper(m Mapping) mapper {
	lower := func(in map[string]string) map[string]string {
		out := make(map[string]string, len(in))
		for k, v := range in {
			out[strings.ToLower(k)] = v
		}
		return out
	}
	return mapper{m: m, team: lower(m.TeamMap), service: lower(m.ServiceMap), sev: lower(m.SeverityMap),
		roleMap: lower(m.RoleMap), actionMap: lower(m.ActionMap)}
}

// resolved is what a mapping made of one payload.
type resolved struct {
	Team, Service, Severity, AlertName string
	// used names the selectors that yielded a value, so label-based formats
	// can leave those labels out of data.labels (they are first-class fields).
	used []string
}

// resolve applies the mapping to one payload; get answers a selector.
func (mp mapper) resolve(get func(selector string) string) resolved {
	var r resolved
	pick := func(from []string, rename map[string]string) string {
		for _, sel := range from {
			if v := get(sel); v != "" {
				r.used = append(r.used, sel)
				return rename1(rename, v)
			}
		}
		return ""
	}
	r.Team = pick(mp.m.TeamFrom, mp.team)
	r.Service = pick(mp.m.ServiceFrom, mp.service)
	r.Severity = pick(mp.m.SeverityFrom, mp.sev)
	r.AlertName = pick(mp.m.AlertNameFrom, nil)
	return r
}

// severity maps one raw severity value (for events that change it).
func (mp mapper) severity(v string) string { return rename1(mp.sev, v) }

// role maps a source role to a canonical one; "" if it has none.
func (mp mapper) role(names ...string) string {
	for _, n := range names {
		if r, ok := mp.roleMap[strings.ToLower(n)]; ok && n != "" {
			return r
		}
	}
	return ""
}

// action is the ActionMap target of a source action; "" if it has none.
func (mp mapper) action(name string) string { return mp.actionMap[strings.ToLower(name)] }

// responder picks the configured identity, falling back to the other so an
// event is not lost when a payload carries only one of them.
func (mp mapper) responder(id, name string) string {
	if mp.m.Responder == "name" {
		id, name = name, id
	}
	if id != "" {
		return id
	}
	return name
}

func rename1(m map[string]string, v string) string {
	if r, ok := m[strings.ToLower(v)]; ok {
		return r
	}
	return v
}

// labelsWithout copies labels minus the given keys; nil if nothing is left
// (so events compare equal whether or not a payload had leftover labels).
func labelsWithout(labels map[string]string, drop []string) map[string]string {
	out := maps.Clone(labels)
	for _, k := range drop {
		delete(out, k)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
