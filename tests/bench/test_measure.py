"""bench.measure: the CPU of a process tree counts the children nobody waited for (Spark's JVM)."""

from __future__ import annotations

import sys

from bench.measure import run_measured

# The child starts a grandchild that burns half a second of CPU and, once it has finished,
# exits without reaping it, as pyspark leaves its JVM: wait4's usage cannot see that half
# second, the tree's samples can (however loaded the machine, the child outlives the burn).
UNWAITED_GRANDCHILD = """
import os, sys, time
burn = "import time\\nend = time.process_time() + 0.5\\nwhile time.process_time() < end: pass"
pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-c", burn])
def state():
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0]
while state() != "Z":  # finished, not reaped
    time.sleep(0.02)
time.sleep(0.3)
os._exit(0)  # no interpreter clean-up that could reap it
"""


def test_tree_cpu_counts_a_child_that_was_not_waited_for() -> None:
    measured = run_measured([sys.executable, "-c", UNWAITED_GRANDCHILD], sample_every_s=0.05)
    assert measured.status == "ok"
    assert measured.cpu_s < 0.4  # the child itself mostly slept
    assert measured.tree_cpu_s > 0.45  # the grandchild's half second of CPU, seen in /proc
