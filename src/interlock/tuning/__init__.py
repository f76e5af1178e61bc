"""Tuning from the record: what a period looked like, and what a change would have changed.

    read_decisions(records, since)    decision records (and their outcomes) read back
    Report(since, until, decisions)   `interlock report`: held / denied / would-have, top
                                      reasons, agents, actions, false-alarm candidates
    backtest(decisions, now, then)    `interlock policy backtest`: the recorded decisions
                                      replayed under the policies and rules in force and under
                                      candidate ones; every decision that would change

Pure: records and policy bundles in, answers out (the CLI reads the audit log). The rules
themselves are policy knowledge (`interlock.policy`); see docs/classifiers/tuning.md.
"""

from interlock.tuning._backtest import Backtest, Change, backtest
from interlock.tuning._recorded import (
    REPLAYABLE_KINDS,
    RecordedAction,
    RecordedDecision,
    read_decisions,
)
from interlock.tuning._report import Report

__all__ = [
    "REPLAYABLE_KINDS",
    "Backtest",
    "Change",
    "RecordedAction",
    "RecordedDecision",
    "Report",
    "backtest",
    "read_decisions",
]
