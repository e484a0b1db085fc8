package main

import "slices"

// comparedAt are the concurrencies the comparisons run at, each side by
// side with bare Temporal: one caller (each call's own cost, with no
// queueing), 8 and 16 in flight (where the goals hold), and -concurrency
// when it is another. None exceeds callers, the coaches the bench has
// tokens for.
func comparedAt(concurrency, callers int) []int {
	var at []int
	for _, n := range []int{1, 8, 16, concurrency} {
		if n >= 1 && n <= callers && !slices.Contains(at, n) {
			at = append(at, n)
		}
	}
	slices.Sort(at)
	return at
}
