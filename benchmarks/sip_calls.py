"""Simultaneous answered SIP calls from one process on one core, against SIPp.

    python benchmarks/sip_calls.py [--calls 10,25,50,100,200,400,800] [--hold 6] [--keep-going]

For each N, SIPp (on 127.0.0.1, pinned to another core when there is one) answers N calls with
the tests' `answer.xml` scenario and echoes their RTP (`-rtp_echo`); this process, pinned to one
core, dials all N through SipTrunkProvider (200 dials per second), plays the spoken prompt (real
espeak-ng, synthesised once and shared), and hangs up when all N have been up together for
--hold seconds. Figures per N: calls that were
answered and completed, RTP frames sent, frames sent a whole frame (20 ms) late, and the send
jitter: how far each frame's send time was from its scheduled slot (absolute; the pacer wakes
up to 1 ms early to offset epoll's millisecond rounding), p50/p99/max.

Baseline, in the same run and process: one bare pacing loop with the same absolute 20 ms
schedule for --hold seconds, with no calls and no sockets. It shows the floor the event loop and
the kernel's timer give before any call is added.

N increases until p99 passes 5 ms or any frame is late. Every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tocsin.telephony.base import CallEventKind, CallRequest, ProviderError
from tocsin.telephony.script import spoken_prompt
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.call import SipCall
from tocsin.telephony.sip.rtp import FRAME_SECONDS, TIMER_SLACK

SIPP = "/usr/bin/sipp"
HOST = "127.0.0.1"
SCENARIO = Path(__file__).parent.parent / "tests/telephony/sip/scenarios/answer.xml"
JITTER_LIMIT_MS = 5.0
ALERT = "Disk full on db-1."
DIAL_RATE = 200.0  # calls per second


@dataclass
class Figures:
    label: str
    completed: int
    frames: int
    late: int
    deviations: list[float]
    cpu: float = 0.0  # this process's CPU time over wall time

    def row(self) -> str:
        ms = np.abs(np.array(self.deviations)) * 1000 if self.deviations else np.zeros(1)
        return (
            f"{self.label:>10} {self.completed:>9} {self.frames:>8} {self.late:>5} "
            f"{np.percentile(ms, 50):>8.3f} {np.percentile(ms, 99):>8.3f} {ms.max():>8.3f} "
            f"{self.cpu:>6.0%}"
        )

    @property
    def p99_ms(self) -> float:
        if not self.deviations:
            return 0.0
        return float(np.percentile(np.abs(np.array(self.deviations)), 99) * 1000)


async def pacing_baseline(seconds: float) -> Figures:
    loop = asyncio.get_running_loop()
    start, deviations = loop.time(), []
    for frame in range(int(seconds / FRAME_SECONDS)):
        target = start + frame * FRAME_SECONDS
        await asyncio.sleep(max(0.0, target - TIMER_SLACK - loop.time()))
        deviations.append(loop.time() - target)
    late = sum(d > FRAME_SECONDS for d in deviations)
    return Figures("baseline", 0, len(deviations), late, deviations)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_sipp(workdir: Path, calls: int, core: int | None) -> tuple[subprocess.Popen[bytes], int]:
    script = workdir / "answer.xml"
    text = SCENARIO.read_text().replace("@TE_PT@", "101").replace("@PLAY@", "")
    script.write_text(text.replace("@HEADERS@", ""))
    port, media_port = free_port(), free_port() & ~1
    command = [SIPP, "-sf", str(script), "-i", HOST, "-p", str(port), "-mi", HOST]
    command += ["-mp", str(media_port), "-rtp_echo", "-m", str(calls), "-nostdin"]
    command += ["-timeout", "120s", "-l", str(calls * 2), "-max_socket", str(calls * 4 + 100)]
    command += ["-trace_err", "-error_file", str(workdir / "errors.log")]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
        preexec_fn=(lambda: os.sched_setaffinity(0, {core})) if core is not None else None,
    )
    return process, port


async def run_calls(calls: int, hold: float, sipp_port: int) -> Figures:
    config = SipTrunkConfig(
        host=HOST,
        port=sipp_port,
        local_host=HOST,
        caller_id="+15550001111",
        max_call_seconds=hold + calls / DIAL_RATE,
        ring_timeout=10,
    )
    provider = SipTrunkProvider(config)
    # Synthesise once before the clock starts, as a warmed-up worker would have it cached.
    await provider.speech(spoken_prompt(ALERT), "en")

    async def one(index: int) -> tuple[bool, SipCall | None]:
        # Dials are spread at DIAL_RATE, as a worker claiming jobs would; a same-instant burst
        # of hundreds of INVITEs only measures SIPp's single-threaded answering.
        await asyncio.sleep(index / DIAL_RATE)
        request = CallRequest(f"bench-{index}", "+15557654321", "+15550001111", ALERT)
        try:
            call = await provider.dial(request)
        except ProviderError:
            return False, None
        kinds = [event.kind async for event in call.events()]
        await call.wait()
        return CallEventKind.ANSWERED in kinds and kinds[-1] == CallEventKind.COMPLETED, call

    try:
        async with asyncio.timeout(hold + calls / DIAL_RATE + 60):
            results = await asyncio.gather(*(one(i) for i in range(calls)))
    finally:
        await provider.close()
    calls_made = [call for _, call in results if call is not None]
    deviations = [d for call in calls_made for d in call.media.stats.send_deviations]
    late = sum(call.media.stats.late for call in calls_made)
    completed = sum(ok for ok, _ in results)
    return Figures(f"{calls} calls", completed, len(deviations), late, deviations)


def measured(figures_of: Callable[[], Figures]) -> tuple[Figures, float]:
    """Run one phase; its figures with CPU share filled in, and its wall time."""
    started, cpu_started = time.monotonic(), time.process_time()
    figures = figures_of()
    elapsed = time.monotonic() - started
    figures.cpu = (time.process_time() - cpu_started) / elapsed
    return figures, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", default="10,25,50,100,200,400,800")
    parser.add_argument("--hold", type=float, default=6.0)
    parser.add_argument(
        "--keep-going", action="store_true", help="measure every N even past the limit"
    )
    args = parser.parse_args()
    if not os.access(SIPP, os.X_OK):
        print("SIPp is not installed (Debian package sip-tester)", file=sys.stderr)
        return 2
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[0]})
    sipp_core = cores[1] if len(cores) > 1 else None
    print(f"worker on core {cores[0]}, SIPp on core {sipp_core}, hold {args.hold:.0f} s")
    print(
        f"{'':>10} {'completed':>9} {'frames':>8} {'late':>5} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'cpu':>6}"
    )
    baseline, _ = measured(lambda: asyncio.run(pacing_baseline(args.hold)))
    print(baseline.row(), flush=True)
    for calls in (int(n) for n in args.calls.split(",")):
        with tempfile.TemporaryDirectory(prefix="tocsin-sip-bench-") as workdir:
            sipp, port = start_sipp(Path(workdir), calls, sipp_core)
            try:
                time.sleep(0.3)  # SIPp binds its socket; an early INVITE would be retransmitted
                figures, elapsed = measured(
                    lambda: asyncio.run(run_calls(calls, args.hold, port))  # noqa: B023
                )
            finally:
                if sipp.poll() is None:
                    sipp.kill()
                sipp.wait(timeout=10)
        print(f"{figures.row()}   ({elapsed:.1f} s)", flush=True)
        reasons = []
        if figures.p99_ms > JITTER_LIMIT_MS:
            reasons.append(f"p99 {figures.p99_ms:.1f} ms > {JITTER_LIMIT_MS} ms")
        if figures.late:
            reasons.append(f"{figures.late} late frames")
        if figures.completed < calls:
            reasons.append(f"{calls - figures.completed} calls did not complete")
        if reasons and not args.keep_going:
            print(f"stopped at {calls} calls: {', '.join(reasons)}")
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
