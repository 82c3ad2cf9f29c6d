// Package doccheck holds the tests that keep README.md and docs/*.md true to
// the code where a machine can tell: every metric family they name is one
// pagerlens exports (internal/metricnames), and every relative link, heading
// anchor and path to a document or Go file they mention exists.
package doccheck
