package main

import (
	"slices"
	"testing"
)

func TestComparedAtOneEightSixteenAndTheFlag(t *testing.T) {
	for _, tc := range []struct {
		concurrency, callers int
		want                 []int
	}{
		{8, 50, []int{1, 8, 16}},
		{32, 50, []int{1, 8, 16, 32}},
		{4, 50, []int{1, 4, 8, 16}},
		{8, 10, []int{1, 8}},
	} {
		if got := comparedAt(tc.concurrency, tc.callers); !slices.Equal(got, tc.want) {
			t.Errorf("comparedAt(%d, %d) = %v, want %v", tc.concurrency, tc.callers, got, tc.want)
		}
	}
}
