"""Ctrl-C: SIGINT to a process running a long nk loop raises KeyboardInterrupt promptly;
Engine.interrupt() stops a call on another thread."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import nvm

CHILD = textwrap.dedent(
    """
    import sys, time, nvm
    m = nvm.load(sys.argv[1], tier=sys.argv[2], cache_dir=False)
    m.spin(1000)  # compiled (or not) before the long call
    print("ready", flush=True)
    t0 = time.monotonic()
    try:
        m.spin(10**13)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted after %.3f" % (time.monotonic() - t0), flush=True)
        # The engine works after the interrupt, and the next call is not stopped.
        print("again", m.spin(10), flush=True)
    """
)


@pytest.mark.parametrize("tier", ["auto", "jit", "interp"])
def test_sigint_raises_keyboard_interrupt_promptly(kernels_path, tier):
    p = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(kernels_path), tier],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # inside the long loop now
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        p.kill()
    assert "interrupted after" in out, (out, err)
    assert "again 45" in out, (out, err)
    assert elapsed < 5, elapsed
    assert p.returncode == 0, err


def test_sigint_ignored_stays_ignored(kernels_path):
    child = textwrap.dedent(
        """
        import signal, sys, nvm
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        m = nvm.load(sys.argv[1], cache_dir=False)
        print("ready", flush=True)
        print(m.spin(3 * 10**7) >= 0, flush=True)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", child, str(kernels_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
    finally:
        p.kill()
    assert out.strip() == "True" and p.returncode == 0


def test_interrupt_from_another_thread(kernels_path):
    e = nvm.Engine(cache_dir=False)
    m = e.load(kernels_path)
    timer = threading.Timer(0.3, e.interrupt)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(nvm.NkError, match="interrupted"):
        m.spin(10**13)
    assert time.monotonic() - t0 < 5
    assert m.spin(10) == 45


def test_sigint_runs_a_python_handler_set_after_the_first_call(kernels_path):
    child = textwrap.dedent(
        """
        import signal, sys, nvm
        m = nvm.load(sys.argv[1], cache_dir=False)
        m.spin(10)  # nvm's handler is in front of Python's now
        class Stop(Exception):
            pass
        def handler(sig, frame):
            raise Stop()
        signal.signal(signal.SIGINT, handler)  # Python's C handler is installed again
        print("ready", flush=True)
        try:
            m.spin(10**13)
        except Stop:
            print("stopped by the program's handler", flush=True)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", child, str(kernels_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    finally:
        p.kill()
    assert "stopped by the program's handler" in out, (out, err)
