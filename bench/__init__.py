"""`make bench`: cold start, end to end, AWS calls, cost per 1,000 interviews and a throttled burst, each measured
against a floor in the same run (see bench/run.py and docs/scaling.md)."""
