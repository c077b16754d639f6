"""What benchmarks report about the processes they started: resident memory, machine load."""

import os
import re
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (a master and its workers)."""
    found = [pid]
    for each in found:
        for task in Path(f"/proc/{each}/task").glob("*"):
            children = (task / "children").read_text().split()
            found.extend(int(child) for child in children)
    return found


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def memory_line(name: str, pids: list[int]) -> str:
    """`RSS <name> <total> MiB in <n> processes (<each>)` for the processes `pids`."""
    sizes = [rss_mib(pid) for pid in pids]
    each = ", ".join(f"{size:.0f}" for size in sizes)
    return f"RSS {name:<24} {sum(sizes):6.0f} MiB in {len(sizes)} processes ({each})"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process (all its threads) has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes_matching(*texts: str) -> dict[str, list[int]]:
    """For each of `texts`, the processes whose command line holds it (PostgreSQL names a
    backend's database), from one pass over /proc: a benchmark looks every second, and
    each pass reads every process's command line."""
    found: dict[str, list[int]] = {text: [] for text in texts}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_text()
        except OSError:
            continue
        for text in texts:
            if text in command:
                found[text].append(int(cmdline.parent.name))
    return found


def load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
