package synth

import (
	"math/rand/v2"
	"strconv"

	"github.com/pagerlens/pagerlens/event"
)

// The world: teams, their services, responders and alert rules, built once
// from the seed before the first event.

var (
	teamNames = []string{
		"payments", "search", "identity", "platform", "checkout", "data", "mobile", "messaging",
		"growth", "infra", "storage", "billing", "ads", "maps", "security", "edge",
	}
	serviceSuffixes = []string{
		"api", "worker", "gateway", "db", "cache", "scheduler", "ingest", "web",
		"ledger", "notifier", "indexer", "exporter", "auth", "queue", "cdn", "batch",
	}
	firstNames = []string{
		"ana", "ben", "chloe", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jonas",
		"kofi", "lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven", "tariq",
		"uma", "victor", "wen", "ximena", "yusuf", "zoe", "amir", "bea", "carlos", "dana",
		"emeka", "fatima", "gus", "hana", "ivan", "julia", "kenji", "lucia", "malik", "nora",
		"oskar", "paula", "raj", "sara", "tomas", "ulla", "vera", "will",
	}
	// Responders spread over several zones, so local-time buckets differ from UTC.
	timezones = []string{
		"Europe/Berlin", "America/New_York", "America/Los_Angeles", "Europe/London",
		"Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo",
	}
	regions = []string{"eu-west-1", "us-east-1", "us-west-2", "ap-south-1", "ap-northeast-1"}
	// Symptoms that open incidents (the rules behind most incidents).
	incidentAlertNames = []string{
		"HighErrorRate", "LatencySLOBurn", "EndpointDown", "ErrorBudgetBurn", "QueueBacklog", "ReplicationLag",
	}
	// Rules that mostly make noise.
	noiseAlertNames = []string{
		"DiskAlmostFull", "CPUThrottling", "PodCrashLooping", "HighMemory", "CertExpiringSoon",
		"SlowQueries", "ConsumerLag", "HealthCheckFailing", "5xxSpike", "ConnectionPoolExhausted",
		"GCPauseLong", "NodeNotReady",
	}
)

type responder struct {
	name, tz string
}

type team struct {
	name, schedule string
	// offset is the home zone's UTC offset at the start of the stream, used
	// for the diurnal pattern and the Monday 09:00 handoff. DST is ignored:
	// it shifts the pattern by an hour at most.
	offset     int64
	responders []int // indexes into gen.responders, in rotation order
	rot        int   // position in responders of the current (or, in a gap, the next) on-call
	onCall     int   // responder index on call now; -1 in a coverage gap
	handoff    int   // proc index of the weekly handoff
	shiftStart int   // proc index of the delayed start after a gap
}

type service struct {
	name   string
	team   int
	labels map[string]string // shared by all the service's alert events: read-only
	incs   []incidentRule
}

// incidentRule is a rule that fires with incidents. Two incidents of one
// service can overlap, but one alert_key must not carry two live alerts
// (an alert is the life of a key from trigger to resolve), so concurrent
// firings take distinct shard keys, as Alertmanager's label fingerprints do.
type incidentRule struct {
	name string
	keys []string
	busy []int64 // per shard: alert resolved at (unix seconds)
}

// shard returns a key of r free at t, adding one if all are busy.
func (r *incidentRule) shard(base string, t int64) int {
	for i, b := range r.busy {
		if b <= t {
			return i
		}
	}
	k := base
	if n := len(r.keys); n > 0 {
		k += "#" + strconv.Itoa(n+1)
	}
	r.keys = append(r.keys, k)
	r.busy = append(r.busy, 0)
	return len(r.keys) - 1
}

type ruleClass uint8

const (
	ruleQuiet     ruleClass = iota // rare, actionable, usually acknowledged
	ruleTransient                  // blips resolved by the system within minutes
	ruleNoisy                      // frequent, long, nobody acts
	ruleFlapping                   // bursts of 3+ fires within an hour
)

type rule struct {
	class     ruleClass
	name, key string
	svc       int
	proc      int
}

type procKind uint8

const (
	procHandoff procKind = iota
	procShiftStart
	procIncidents
	procRule
)

// proc is a recurring process: it runs when its tick leaves the queue,
// pushes the events it causes and schedules its next tick.
type proc struct {
	kind procKind
	idx  int // team, service or rule index
}

// nth returns a unique name from a pool: the pool's names first, then the
// same names with a numeric suffix.
func nth(pool []string, i int) string {
	if i < len(pool) {
		return pool[i]
	}
	return pool[i%len(pool)] + "-" + strconv.Itoa(i/len(pool)+1)
}

func (g *gen) buildWorld(rng *rand.Rand) error {
	c := &g.cfg
	for ti := range c.Teams {
		home := timezones[rng.IntN(len(timezones))]
		loc, err := event.Location(home)
		if err != nil {
			return err
		}
		_, off := c.Start.In(loc).Zone()
		t := team{name: nth(teamNames, ti), offset: int64(off), onCall: -1}
		t.schedule = t.name + "-primary"
		for range c.RespondersPerTeam {
			tz := home
			if rng.Float64() < 0.3 { // follow-the-sun and remote responders
				tz = timezones[rng.IntN(len(timezones))]
			}
			t.responders = append(t.responders, len(g.responders))
			g.responders = append(g.responders, responder{name: nth(firstNames, len(g.responders)), tz: tz})
		}
		t.handoff = g.addProc(procHandoff, ti)
		t.shiftStart = g.addProc(procShiftStart, ti)
		region := regions[rng.IntN(len(regions))]
		firstRule := len(g.rules)
		for si := range c.ServicesPerTeam {
			s := service{
				name:   t.name + "-" + nth(serviceSuffixes, si),
				team:   ti,
				labels: map[string]string{"region": region, "env": "prod"},
			}
			for _, j := range rng.Perm(len(incidentAlertNames))[:3] {
				s.incs = append(s.incs, incidentRule{name: incidentAlertNames[j]})
			}
			svc := len(g.services)
			g.addProc(procIncidents, svc)
			perm := rng.Perm(len(noiseAlertNames))
			for ri := range c.RulesPerService {
				name := noiseAlertNames[perm[ri%len(perm)]]
				if ri >= len(perm) {
					name += strconv.Itoa(ri/len(perm) + 1)
				}
				class := ruleQuiet
				switch u := rng.Float64(); {
				case u < c.Rates.Noisy:
					class = ruleNoisy
				case u < c.Rates.Noisy+c.Rates.Transient:
					class = ruleTransient
				}
				r := rule{class: class, name: name, key: s.name + "/" + name, svc: svc}
				r.proc = g.addProc(procRule, len(g.rules))
				g.rules = append(g.rules, r)
			}
			g.services = append(g.services, s)
		}
		// "A few noisy flapping ones": at most one per team.
		if n := len(g.rules) - firstRule; n > 0 && rng.Float64() < c.Rates.FlappingTeams {
			g.rules[firstRule+rng.IntN(n)].class = ruleFlapping
		}
		g.teams = append(g.teams, t)
	}
	return nil
}

func (g *gen) addProc(k procKind, idx int) int {
	g.procs = append(g.procs, proc{kind: k, idx: idx})
	return len(g.procs) - 1
}

// diurnal is the relative rate of incidents and alerts by local hour of the
// week (Monday 00:00 = 0), normalised to a mean of 1: busy working hours
// (deploys, traffic), quieter evenings and weekends, quiet nights.
var diurnal, diurnalMax = func() ([168]float64, float64) {
	var d [168]float64
	sum := 0.0
	for h := range d {
		day, hour := h/24, h%24
		weekend := day >= 5
		switch {
		case hour < 7 || hour >= 22:
			d[h] = 0.45
		case weekend:
			d[h] = 0.7
		case hour >= 9 && hour < 18:
			d[h] = 1.8
		default:
			d[h] = 1.0
		}
		sum += d[h]
	}
	mx := 0.0
	for h := range d {
		d[h] *= 168 / sum
		mx = max(mx, d[h])
	}
	return d, mx
}()

// hourOfWeek maps a unix time shifted to local time to the diurnal index.
// The epoch was a Thursday: day 3 counting from Monday.
func hourOfWeek(local int64) int {
	h := (local/3600 + 3*24) % 168
	if h < 0 {
		h += 168
	}
	return int(h)
}

// week and the Monday 09:00 handoff; 1970-01-05 was a Monday.
const (
	week          = 7 * 24 * 3600
	firstMonday   = 4 * 24 * 3600
	handoffOffset = 9 * 3600
)
