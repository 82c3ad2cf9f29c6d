package main

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/synth"
)

func newSynthCmd() *cobra.Command {
	var (
		days, teams, services, responders int
		seed                              int64
		end                               string
		duplicates, disorder, incidents   float64
		out                               string
	)
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "Write a realistic synthetic event stream as canonical JSON Lines to stdout",
		Long: `Write a seeded, realistic stream of canonical events (shifts, alerts, pages,
incidents, incident-command events) to stdout, one CloudEvents JSON document a line,
in time order unless --disorder is set.

The stream ends at --end (default: now, truncated to the hour). The same flags with
the same --end give a byte-identical stream.`,
		Example: "  pagerlens synth --days 90 --teams 8 --seed 1 > events.jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			endT := time.Now().UTC().Truncate(time.Hour)
			if end != "" {
				t, err := time.Parse(time.RFC3339, end)
				if err != nil {
					return usageErrorf("--end %q: want an RFC 3339 time such as 2026-03-09T00:00:00Z", end)
				}
				endT = t
			}
			switch {
			case days < 1:
				return usageErrorf("--days %d: must be at least 1", days)
			case teams < 1:
				return usageErrorf("--teams %d: must be at least 1", teams)
			case services < 1:
				return usageErrorf("--services-per-team %d: must be at least 1", services)
			case responders < 2:
				return usageErrorf("--responders-per-team %d: a rotation needs at least 2", responders)
			case incidents <= 0:
				return usageErrorf("--incidents-per-day %g: must be positive", incidents)
			case duplicates < 0 || duplicates >= 1:
				return usageErrorf("--duplicates %g: want a share in [0, 1)", duplicates)
			case disorder < 0 || disorder > 1:
				return usageErrorf("--disorder %g: want a share in [0, 1]", disorder)
			}
			cfg := synth.Config{
				Seed: seed, End: endT, Days: days, Teams: teams,
				ServicesPerTeam: services, RespondersPerTeam: responders,
				IncidentsPerServiceDay: incidents, Duplicates: duplicates, Disorder: disorder,
			}.WithDefaults()
			if err := cfg.Validate(); err != nil {
				return usageErrorf("synth: %w", err)
			}

			ctx := cmd.Context()
			dst := cmd.OutOrStdout()
			if out != "" {
				// A file, for where no shell can redirect (the compose
				// file's producer: deploy/compose).
				f, err := os.Create(out)
				if err != nil {
					return fmt.Errorf("synth: %w", err)
				}
				defer f.Close()
				dst = f
			}
			w := bufio.NewWriterSize(dst, 1<<16)
			n := 0
			err := synth.Generate(cfg, func(e event.Event) error {
				// Checked now and then: a cancelled context (Ctrl-C) stops a long run.
				if n++; n&0xfff == 0 && ctx != nil {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				b, err := event.Marshal(e)
				if err != nil {
					return err
				}
				b = append(b, '\n')
				_, err = w.Write(b)
				return err
			})
			if err == nil {
				err = w.Flush()
			}
			if f, ok := dst.(*os.File); ok && err == nil && out != "" {
				err = f.Close()
			}
			if err != nil {
				return fmt.Errorf("synth: after %d events: %w", n, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&days, "days", 90, "days of history to generate")
	f.IntVar(&teams, "teams", 8, "number of teams")
	f.IntVar(&services, "services-per-team", 4, "services per team")
	f.IntVar(&responders, "responders-per-team", 6, "responders in each team's rotation")
	f.Int64Var(&seed, "seed", 1, "random seed: the same seed and flags give the same stream")
	f.StringVar(&end, "end", "", "end of the stream, RFC 3339 (default now, truncated to the hour)")
	f.Float64Var(&incidents, "incidents-per-day", 0.4, "mean incidents per service per day")
	f.Float64Var(&duplicates, "duplicates", 0, "share of events written twice with the same id (at-least-once delivery)")
	f.Float64Var(&disorder, "disorder", 0, "share of events written late (up to 64 lines out of order)")
	f.StringVarP(&out, "out", "o", "", "write to this file instead of stdout")
	return cmd
}
