"""Simultaneous answered SIP calls from one process on one core, against SIPp.

    python benchmarks/sip_calls.py [--calls 10,25,50,100,200,400,800] [--hold 6] [--keep-going]
                                   [--ports 24000-24999] [--results PATH]

For each N, SIPp (on 127.0.0.1, pinned to another core when there is one) answers N calls with
the tests' `answer.xml` scenario and echoes their RTP (`-rtp_echo`); this process, pinned to one
core, dials all N through SipTrunkProvider (200 dials per second), plays the spoken prompt (real
espeak-ng, synthesised once and shared), and hangs up when all N have been up together for
--hold seconds. Figures per N: calls that were
answered and completed, RTP frames sent, frames sent a whole frame (20 ms) late, and the send
jitter: how far each frame's send time was from its scheduled slot (absolute; the pacer wakes
up to 1 ms early to offset epoll's millisecond rounding), p50/p99/max; the share of frames SIPp
echoed back (each one is a datagram this process also receives); and this process's CPU time
per frame sent, from the first dial to the last hang-up (SIP, RTP sending and receiving, the
event loop), which unlike lateness does not depend on what else the machine runs: 800 calls
send 40,000 frames a second, so one core has 25 us for each.

Baseline, in the same run and process: one bare pacing loop with the same absolute 20 ms
schedule for --hold seconds, with no calls and no sockets. It shows the floor the event loop and
the kernel's timer give before any call is added.

N increases until p99 passes 5 ms or any frame is late (--keep-going measures every N). Every
phase is bounded in time: calls still going when it is over are hung up and counted as not
completed. SIPp's SIP and media ports are free ones from --ports (any free port without it);
this process's own SIP and RTP sockets take any free port, as 800 calls need 800 RTP ports.
With --results, each N gives three rows (late frames, jitter p99, CPU per frame).
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from results import Result, add_results_option, emit
from tocsin.telephony.base import CallEventKind, CallRequest, ProviderError
from tocsin.telephony.script import spoken_prompt
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.call import SipCall
from tocsin.telephony.sip.rtp import FRAME_SECONDS, TIMER_SLACK

SIPP = "/usr/bin/sipp"
HOST = "127.0.0.1"
SCENARIO = Path(__file__).parent.parent / "tests/telephony/sip/scenarios/answer.xml"
JITTER_LIMIT_MS = 5.0
BASELINE = "bare pacing loop"
CPU_BUDGET_US = 25.0  # per frame: one core's second over 800 calls' 40,000 frames
# How long hanging up may take once a phase is over, before its calls are left to SIPp's timeout.
CLOSE_SECONDS = 20.0
ALERT = "Disk full on db-1."
DIAL_RATE = 200.0  # calls per second


@dataclass
class Figures:
    label: str
    completed: int
    frames: int
    late: int
    deviations: list[float]
    echoed: int = 0  # frames SIPp sent back, which this process received
    cpu_seconds: float = 0.0  # this process's CPU time while the calls went on
    wall_seconds: float = 0.0

    def row(self) -> str:
        ms = np.abs(np.array(self.deviations)) * 1000 if self.deviations else np.zeros(1)
        return (
            f"{self.label:>10} {self.completed:>9} {self.frames:>8} {self.late:>7} "
            f"{np.percentile(ms, 50):>8.3f} {np.percentile(ms, 99):>8.3f} {ms.max():>8.3f} "
            f"{self.echoed_share:>7.0%} {self.cpu_us_per_frame:>7.1f} "
            f"{self.cpu_seconds / max(self.wall_seconds, 1e-9):>6.0%}"
        )

    @property
    def late_percent(self) -> float:
        return 100.0 * self.late / self.frames if self.frames else 0.0

    @property
    def echoed_share(self) -> float:
        return self.echoed / self.frames if self.frames else 0.0

    @property
    def cpu_us_per_frame(self) -> float:
        return 1e6 * self.cpu_seconds / self.frames if self.frames else 0.0

    @property
    def p99_ms(self) -> float:
        if not self.deviations:
            return 0.0
        return float(np.percentile(np.abs(np.array(self.deviations)), 99) * 1000)


async def pacing_baseline(seconds: float) -> Figures:
    loop = asyncio.get_running_loop()
    start, deviations = loop.time(), []
    cpu_started = time.process_time()
    for frame in range(int(seconds / FRAME_SECONDS)):
        target = start + frame * FRAME_SECONDS
        await asyncio.sleep(max(0.0, target - TIMER_SLACK - loop.time()))
        deviations.append(loop.time() - target)
    late = sum(d > FRAME_SECONDS for d in deviations)
    cpu_seconds, wall_seconds = time.process_time() - cpu_started, loop.time() - start
    return Figures("baseline", 0, len(deviations), late, deviations, 0, cpu_seconds, wall_seconds)


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def free_ports(count: int, ports: range | None, avoid: range = range(0)) -> int:
    """The first port, even, of `count` free UDP ports in a row from `ports` (or anywhere),
    none of them in `avoid`."""
    candidates = ports if ports is not None else (_any_free_port() for _ in range(200))
    for base in candidates:
        block = range(base, base + count)
        if base % 2 or (ports is not None and block[-1] not in ports):
            continue
        if not any(port in avoid for port in block) and all(map(_is_free, block)):
            return base
    raise RuntimeError(f"no {count} free UDP ports in a row in {ports or 'any range'}")


def port_range(text: str) -> range:
    low, _, high = text.partition("-")
    return range(int(low), int(high) + 1)


def start_sipp(
    workdir: Path, calls: int, core: int | None, ports: range | None
) -> tuple[subprocess.Popen[bytes], int]:
    script = workdir / "answer.xml"
    text = SCENARIO.read_text().replace("@TE_PT@", "101").replace("@PLAY@", "")
    script.write_text(text.replace("@HEADERS@", ""))
    # SIPp's media: audio on the port and the one above, video on the two after.
    media_port = free_ports(4, ports)
    port = free_ports(1, ports, avoid=range(media_port, media_port + 4))
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

    made: list[SipCall] = []

    async def one(index: int) -> bool:
        # Dials are spread at DIAL_RATE, as a worker claiming jobs would; a same-instant burst
        # of hundreds of INVITEs only measures SIPp's single-threaded answering.
        await asyncio.sleep(index / DIAL_RATE)
        request = CallRequest(f"bench-{index}", "+15557654321", "+15550001111", ALERT)
        try:
            call = await provider.dial(request)
        except ProviderError:
            return False
        made.append(call)
        kinds = [event.kind async for event in call.events()]
        await call.wait()
        return CallEventKind.ANSWERED in kinds and kinds[-1] == CallEventKind.COMPLETED

    started, cpu_started = time.monotonic(), time.process_time()
    tasks = [asyncio.create_task(one(i)) for i in range(calls)]
    done, unfinished = await asyncio.wait(tasks, timeout=hold + calls / DIAL_RATE + 60)
    for task in unfinished:
        task.cancel()
    try:
        async with asyncio.timeout(CLOSE_SECONDS):
            await provider.close()
    except TimeoutError:
        print(f"  hanging up took over {CLOSE_SECONDS:.0f} s; left to SIPp's timeout")
    await asyncio.gather(*unfinished, return_exceptions=True)
    cpu_seconds, wall_seconds = time.process_time() - cpu_started, time.monotonic() - started
    if unfinished:
        print(f"  {len(unfinished)} calls still going when the phase ended were hung up")
    stats = [call.media.stats for call in made]
    return Figures(
        label=f"{calls} calls",
        completed=sum(task.result() for task in done),
        frames=sum(stat.sent for stat in stats),
        late=sum(stat.late for stat in stats),
        deviations=[deviation for stat in stats for deviation in stat.send_deviations],
        echoed=sum(stat.received for stat in stats),
        cpu_seconds=cpu_seconds,
        wall_seconds=wall_seconds,
    )


def results(calls: int, figures: Figures, baseline: Figures, load: float) -> list[Result]:
    """The rows for `make bench`: late frames and jitter against the bare pacing loop's, and
    CPU per frame against the one-core budget."""
    completed = f"{figures.completed}/{calls} calls completed"
    conditions = f"{completed}, {figures.echoed_share:.0%} of frames echoed, load {load:.1f}"
    return [
        Result(
            benchmark="sip_calls",
            metric=f"SIP late frames at {calls} calls",
            goal="0",
            tocsin=figures.late_percent,
            unit="%",
            reference=baseline.late_percent,
            met=figures.late == 0 and figures.completed == calls,
            note=f"{figures.late} of {figures.frames} frames; {completed}",
            reference_name=BASELINE,
        ),
        Result(
            benchmark="sip_calls",
            metric=f"SIP send jitter p99 at {calls} calls",
            goal=f"< {JITTER_LIMIT_MS:.0f} ms",
            tocsin=figures.p99_ms,
            unit="ms",
            reference=baseline.p99_ms,
            ratio=baseline.p99_ms / figures.p99_ms if figures.p99_ms else None,
            met=figures.p99_ms < JITTER_LIMIT_MS,
            note=conditions,
            reference_name=BASELINE,
        ),
        Result(
            benchmark="sip_calls",
            metric=f"SIP CPU per frame at {calls} calls",
            goal=f"≤ {CPU_BUDGET_US:.0f} µs",
            tocsin=figures.cpu_us_per_frame,
            unit="µs",
            met=figures.cpu_us_per_frame <= CPU_BUDGET_US,
            note="SIP, RTP out and echoed in, event loop; " + conditions,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", default="10,25,50,100,200,400,800")
    parser.add_argument("--hold", type=float, default=6.0)
    parser.add_argument(
        "--keep-going", action="store_true", help="measure every N even past the limit"
    )
    parser.add_argument(
        "--ports", type=port_range, help="LOW-HIGH: SIPp's SIP and media ports come from here"
    )
    add_results_option(parser)
    args = parser.parse_args()
    if not os.access(SIPP, os.X_OK):
        print("SIPp is not installed (Debian package sip-tester)", file=sys.stderr)
        return 2
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[0]})
    sipp_core = cores[1] if len(cores) > 1 else None
    print(f"worker on core {cores[0]}, SIPp on core {sipp_core}, hold {args.hold:.0f} s")
    print(
        f"{'':>10} {'completed':>9} {'frames':>8} {'late':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'echoed':>7} {'cpu us':>7} {'cpu':>6}"
    )
    baseline = asyncio.run(pacing_baseline(args.hold))
    print(baseline.row(), flush=True)
    rows: list[Result] = []
    for calls in (int(n) for n in args.calls.split(",")):
        with tempfile.TemporaryDirectory(prefix="tocsin-sip-bench-") as workdir:
            sipp, port = start_sipp(Path(workdir), calls, sipp_core, args.ports)
            try:
                time.sleep(0.3)  # SIPp binds its socket; an early INVITE would be retransmitted
                figures = asyncio.run(run_calls(calls, args.hold, port))
            finally:
                if sipp.poll() is None:
                    sipp.kill()
                sipp.wait(timeout=10)
        load = os.getloadavg()[0]
        print(f"{figures.row()}   ({figures.wall_seconds:.1f} s, load {load:.1f})", flush=True)
        rows += results(calls, figures, baseline, load)
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
    emit(rows, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
